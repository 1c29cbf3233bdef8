// The browser side of the fake widgets: the JavaScript text a fake widget script URL serves.

/**
 * The providers whose browser widget script `FakeCaptchaServer` imitates.
 *
 * @public
 */
export type FakeWidgetProvider = 'turnstile' | 'hcaptcha' | 'recaptcha' | 'recaptcha-enterprise';

/**
 * The endpoint the fake widgets ask for a token (CORS-enabled: pages run on other origins).
 *
 * @internal
 */
export const FAKE_WIDGET_TOKEN_PATH = '/__widget/token';

/** Per provider: the global, the field the widget fills, implicit-render class, style of API. */
const SCRIPT_CONFIG: Record<
  FakeWidgetProvider,
  {
    global: string;
    namespace?: string;
    fields: string[];
    implicitClass: string;
    label: string;
    numericIds: boolean;
  }
> = {
  turnstile: {
    global: 'turnstile',
    fields: ['cf-turnstile-response'],
    implicitClass: 'cf-turnstile',
    label: 'Fake Turnstile',
    numericIds: false,
  },
  hcaptcha: {
    global: 'hcaptcha',
    fields: ['h-captcha-response', 'g-recaptcha-response'],
    implicitClass: 'h-captcha',
    label: 'Fake hCaptcha',
    numericIds: false,
  },
  recaptcha: {
    global: 'grecaptcha',
    fields: ['g-recaptcha-response'],
    implicitClass: 'g-recaptcha',
    label: 'Fake reCAPTCHA',
    numericIds: true,
  },
  'recaptcha-enterprise': {
    global: 'grecaptcha',
    namespace: 'enterprise',
    fields: ['g-recaptcha-response'],
    implicitClass: 'g-recaptcha',
    label: 'Fake reCAPTCHA Enterprise',
    numericIds: true,
  },
};

/**
 * The JavaScript of a fake widget script: the provider's global API (`turnstile.render`,
 * `hcaptcha.render/execute`, `grecaptcha.render/execute`, plus `reset`, `remove`,
 * `getResponse`, `ready`), implicit rendering of `.cf-turnstile` / `.h-captcha` /
 * `.g-recaptcha` elements, the hidden response fields, and the `onload=` / `render=` query
 * parameters. Tokens come from the fake server's token endpoint, minted for the widget's site
 * key and action and the page's hostname.
 *
 * @internal
 */
export function fakeWidgetScript(provider: FakeWidgetProvider): string {
  const config = JSON.stringify({
    provider,
    tokenPath: FAKE_WIDGET_TOKEN_PATH,
    ...SCRIPT_CONFIG[provider],
  });
  return `/* nestjs-captcha FakeCaptchaServer: a stand-in for the ${provider} widget script (tests only). */
(function () {
  'use strict';
  var CONFIG = ${config};
  var script = document.currentScript;
  var src = new URL(script && script.src ? script.src : location.href);
  var query = src.searchParams;
  var interactive = query.get('interactive') === '1';
  var defaultScore = query.has('score') ? Number(query.get('score')) : 0.9;
  var widgets = {};
  var nextId = 0;

  function find(target) {
    if (typeof target === 'string') return document.getElementById(target) || document.querySelector(target);
    return target;
  }
  function call(callback, value) {
    var fn = typeof callback === 'string' ? window[callback] : callback;
    if (typeof fn === 'function') fn(value);
  }
  function requestToken(params, score) {
    return fetch(src.origin + CONFIG.tokenPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: CONFIG.provider,
        sitekey: params.sitekey || '',
        action: params.action || '',
        hostname: location.hostname,
        score: score
      })
    }).then(function (response) {
      if (!response.ok) throw new Error('token endpoint answered ' + response.status);
      return response.json();
    }).then(function (body) { return body.token; });
  }
  function dataParams(element) {
    var params = {};
    for (var i = 0; i < element.attributes.length; i++) {
      var attribute = element.attributes[i];
      if (attribute.name.indexOf('data-') === 0) params[attribute.name.slice(5)] = attribute.value;
    }
    return params;
  }
  function lookup(id) {
    if (id === undefined || id === null) {
      for (var key in widgets) return widgets[key];
      return undefined;
    }
    if (typeof id === 'object' || (typeof id === 'string' && !widgets[id])) {
      var element = find(id);
      for (var k in widgets) if (widgets[k].container === element) return widgets[k];
      return undefined;
    }
    return widgets[String(id)];
  }
  function setState(widget, state, text) {
    widget.box.setAttribute('data-state', state);
    widget.label.textContent = CONFIG.label + ': ' + text;
  }
  function solve(widget) {
    widget.round += 1;
    var round = widget.round;
    widget.token = '';
    widget.fields.forEach(function (field) { field.value = ''; });
    setState(widget, 'verifying', 'verifying\\u2026');
    return requestToken(widget.params, widget.score).then(function (token) {
      if (widget.removed || round !== widget.round) return widget.token;
      widget.token = token;
      widget.fields.forEach(function (field) { field.value = token; });
      setState(widget, 'solved', 'success');
      call(widget.params.callback, token);
      return token;
    }, function (error) {
      if (widget.removed) return '';
      setState(widget, 'error', 'error');
      call(widget.params['error-callback'], 'fake-widget-error');
      throw error;
    });
  }
  function start(widget) {
    if (!interactive) return solve(widget);
    setState(widget, 'waiting', 'click to verify');
    return new Promise(function (resolve, reject) {
      widget.button.hidden = false;
      widget.button.onclick = function () {
        widget.button.hidden = true;
        solve(widget).then(resolve, reject);
      };
    });
  }
  function render(target, params, score) {
    var container = find(target);
    if (!container) throw new Error(CONFIG.label + ': no container ' + target);
    var merged = dataParams(container);
    params = params || {};
    for (var key in params) merged[key] = params[key];
    var id = String(nextId++);
    var box = document.createElement('div');
    box.className = 'fake-captcha-widget';
    box.setAttribute('data-fake-provider', CONFIG.provider);
    box.setAttribute('data-widget-id', id);
    var label = document.createElement('span');
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Verify';
    button.hidden = true;
    box.appendChild(label);
    box.appendChild(button);
    var fields = CONFIG.fields.map(function (name) {
      var field = document.createElement(name === 'cf-turnstile-response' ? 'input' : 'textarea');
      if (field.tagName === 'INPUT') field.type = 'hidden';
      else field.style.display = 'none';
      field.name = name;
      return field;
    });
    container.appendChild(box);
    fields.forEach(function (field) { container.appendChild(field); });
    var widget = { id: id, container: container, box: box, label: label, button: button, fields: fields,
      params: merged, score: score, token: '', round: 0, removed: false };
    widgets[id] = widget;
    if (merged.size !== 'invisible' || CONFIG.provider === 'turnstile') start(widget).catch(function () {});
    else setState(widget, 'idle', 'invisible, waiting for execute()');
    return CONFIG.numericIds ? Number(id) : id;
  }
  function reset(id) {
    var widget = lookup(id);
    if (widget) start(widget).catch(function () {});
  }
  function remove(id) {
    var widget = lookup(id);
    if (!widget) return;
    widget.removed = true;
    widget.box.remove();
    widget.fields.forEach(function (field) { field.remove(); });
    delete widgets[widget.id];
  }
  function getResponse(id) {
    var widget = lookup(id);
    return widget ? widget.token : '';
  }
  function ready(callback) { setTimeout(callback, 0); }

  var api = { render: function (target, params) { return render(target, params, undefined); },
    reset: reset, remove: remove, getResponse: getResponse, ready: ready };
  if (CONFIG.provider === 'turnstile') {
    api.execute = function (target, params) {
      var widget = lookup(target);
      if (!widget) { render(target, params); return; }
      start(widget).catch(function () {});
    };
    api.isExpired = function () { return false; };
  } else if (CONFIG.provider === 'hcaptcha') {
    api.execute = function (id, options) {
      var widget = lookup(id);
      var running = widget ? start(widget) : Promise.reject(new Error('no widget'));
      if (options && options.async) {
        return running.then(function (token) { return { response: token, key: 'fake-ekey' }; });
      }
      running.catch(function () {});
    };
    api.getRespKey = function () { return 'fake-ekey'; };
  } else {
    // reCAPTCHA v3 / Enterprise: execute(siteKey, {action}) resolves with a scored token.
    api.execute = function (siteKeyOrId, options) {
      if (typeof siteKeyOrId === 'string') {
        return requestToken({ sitekey: siteKeyOrId, action: options && options.action }, defaultScore);
      }
      var widget = lookup(siteKeyOrId);
      if (widget) start(widget).catch(function () {});
      return Promise.resolve(widget ? widget.token : '');
    };
  }

  if (CONFIG.namespace) {
    window[CONFIG.global] = window[CONFIG.global] || {};
    window[CONFIG.global][CONFIG.namespace] = api;
    window[CONFIG.global].ready = window[CONFIG.global].ready || ready;
  } else {
    window[CONFIG.global] = api;
  }

  function renderImplicit() {
    var elements = document.querySelectorAll('.' + CONFIG.implicitClass);
    for (var i = 0; i < elements.length; i++) {
      if (!elements[i].hasAttribute('data-fake-rendered')) {
        elements[i].setAttribute('data-fake-rendered', '');
        render(elements[i], {}, undefined);
      }
    }
  }
  var renderMode = query.get('render');
  if (renderMode !== 'explicit' && (CONFIG.global !== 'grecaptcha' || !renderMode || renderMode === 'onload')) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', renderImplicit);
    else renderImplicit();
  }
  var onload = query.get('onload');
  if (onload) setTimeout(function () { call(onload); }, 0);
})();
`;
}
