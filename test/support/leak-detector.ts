/**
 * The leak detector, installed for every test file (jest `setupFilesAfterEnv`): it captures what
 * the library writes — Nest `Logger` calls (decision logs, audit events, warnings), the bodies of
 * CAPTCHA answers, and the default Prometheus registry — and, after the file, fails if any token
 * minted by a `FakeCaptchaServer` or any of its secrets appears in them.
 */
import { Logger } from '@nestjs/common';
import { register } from 'prom-client';
import { CaptchaException } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';

const captured: string[] = [];
const minted: string[] = [];

const text = (value: unknown) => {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return String(value);
  }
};

for (const level of ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const) {
  const original = Logger.prototype[level] as (...args: unknown[]) => void;
  Logger.prototype[level] = function (this: Logger, ...args: unknown[]) {
    captured.push(args.map(text).join(' '));
    return original.apply(this, args);
  } as never;
}

const getResponse = CaptchaException.prototype.getResponse;
CaptchaException.prototype.getResponse = function (this: CaptchaException) {
  const body = getResponse.call(this);
  captured.push(text(body));
  return body;
};

const issueToken = FakeCaptchaServer.prototype.issueToken;
FakeCaptchaServer.prototype.issueToken = function (
  this: FakeCaptchaServer,
  ...args: Parameters<typeof issueToken>
) {
  const token = issueToken.apply(this, args);
  minted.push(token);
  return token;
};

afterAll(async () => {
  const everything = [...captured, await register.metrics()].join('\n');
  const secrets = Object.values(FakeCaptchaServer.secrets);
  const leaked = [...minted, ...secrets].filter((value) => everything.includes(value));
  if (leaked.length > 0) {
    throw new Error(
      `leak detector: ${leaked.length} token(s)/secret(s) appear in logs, metrics or error bodies`,
    );
  }
});
