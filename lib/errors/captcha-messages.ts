import type { CaptchaErrorCode } from '../contracts/captcha-error-body';

/**
 * The messages of the three CAPTCHA answers in one language.
 * @public
 */
export type CaptchaMessageSet = Record<CaptchaErrorCode, string>;

/**
 * The user-facing messages of the three answers, per language. Generic on purpose: they never
 * say which condition fired or what the provider answered. Override or add languages with the
 * module's `messages` option.
 * @public
 */
export const CAPTCHA_MESSAGES: Record<string, CaptchaMessageSet> = {
  en: {
    captcha_required: 'Please complete the verification step to continue.',
    captcha_invalid: 'The verification could not be confirmed. Please try again.',
    captcha_unavailable: 'Verification is temporarily unavailable. Please try again in a moment.',
  },
  es: {
    captcha_required: 'Completa el paso de verificación para continuar.',
    captcha_invalid: 'No se pudo confirmar la verificación. Inténtalo de nuevo.',
    captcha_unavailable:
      'La verificación no está disponible en este momento. Inténtalo de nuevo en unos instantes.',
  },
  fr: {
    captcha_required: 'Veuillez effectuer l’étape de vérification pour continuer.',
    captcha_invalid: 'La vérification n’a pas pu être confirmée. Veuillez réessayer.',
    captcha_unavailable:
      'La vérification est momentanément indisponible. Veuillez réessayer dans un instant.',
  },
  de: {
    captcha_required: 'Bitte schließen Sie die Überprüfung ab, um fortzufahren.',
    captcha_invalid:
      'Die Überprüfung konnte nicht bestätigt werden. Bitte versuchen Sie es erneut.',
    captcha_unavailable:
      'Die Überprüfung ist vorübergehend nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.',
  },
  pt: {
    captcha_required: 'Conclua a etapa de verificação para continuar.',
    captcha_invalid: 'Não foi possível confirmar a verificação. Tente novamente.',
    captcha_unavailable:
      'A verificação está temporariamente indisponível. Tente novamente em instantes.',
  },
  ja: {
    captcha_required: '続行するには確認手順を完了してください。',
    captcha_invalid: '確認できませんでした。もう一度お試しください。',
    captcha_unavailable:
      '現在、確認を一時的に利用できません。しばらくしてからもう一度お試しください。',
  },
  zh: {
    captcha_required: '请完成验证步骤以继续。',
    captcha_invalid: '无法确认验证结果，请重试。',
    captcha_unavailable: '验证服务暂时不可用，请稍后重试。',
  },
  ru: {
    captcha_required: 'Пожалуйста, пройдите проверку, чтобы продолжить.',
    captcha_invalid: 'Не удалось подтвердить проверку. Попробуйте ещё раз.',
    captcha_unavailable: 'Проверка временно недоступна. Попробуйте ещё раз через несколько секунд.',
  },
};

/**
 * Per-language overrides or additions, e.g. `{ de: { captcha_required: '…' }, it: { … } }`.
 * @public
 */
export type CaptchaMessageOverrides = Record<string, Partial<CaptchaMessageSet>>;

/**
 * Picks the message for `code` from an `Accept-Language` header: languages in the order of their
 * `q` weights, each tried as given (`pt-br`) and by its primary subtag (`pt`); English when none
 * is known. Overrides win over the built-in messages.
 * @public
 */
export function captchaMessage(
  code: CaptchaErrorCode,
  acceptLanguage: string | undefined,
  overrides: CaptchaMessageOverrides = {},
): { language: string; message: string } {
  for (const language of preferredLanguages(acceptLanguage)) {
    for (const candidate of [language, language.split('-')[0]]) {
      const message = overrides[candidate]?.[code] ?? CAPTCHA_MESSAGES[candidate]?.[code];
      if (message) return { language: candidate, message };
    }
  }
  return { language: 'en', message: overrides.en?.[code] ?? CAPTCHA_MESSAGES.en[code] };
}

/** The languages of an `Accept-Language` header, best first; malformed parts are skipped. */
function preferredLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 512)
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ tag, q }) => /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/.test(tag) && q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ tag }) => tag);
}
