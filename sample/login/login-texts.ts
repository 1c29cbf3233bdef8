import { captchaMessage } from 'nestjs-captcha';

/** The sign-in page's own texts in one language. `{name}` marks a value filled in at use. */
export interface LoginTexts {
  title: string;
  heading: string;
  /** `{account}`: the demo account's email and password, as code. */
  hint: string;
  email: string;
  password: string;
  submit: string;
  /** The label of the region the CAPTCHA widget shows in. */
  verification: string;
  /** `{email}` */
  signedIn: string;
  wrongCredentials: string;
  /** `{status}` */
  serverError: string;
  widgetFailed: string;
  widgetTimeout: string;
  retry: string;
}

/**
 * The page's texts in the languages the CAPTCHA messages come in (`CAPTCHA_MESSAGES`), so the
 * whole page speaks the language the API answers in.
 */
export const LOGIN_TEXTS: Record<string, LoginTexts> = {
  en: {
    title: 'Sign in · nestjs-captcha sample',
    heading: 'Sign in',
    hint: 'Demo account {account}. After three wrong passwords, the next attempt asks you to complete a verification first.',
    email: 'Email',
    password: 'Password',
    submit: 'Sign in',
    verification: 'Verification',
    signedIn: 'Signed in as {email}.',
    wrongCredentials: 'Wrong email or password.',
    serverError: 'The server answered {status}.',
    widgetFailed: 'The verification could not be loaded.',
    widgetTimeout: 'The verification did not finish in time.',
    retry: 'Try again',
  },
  es: {
    title: 'Iniciar sesión · ejemplo de nestjs-captcha',
    heading: 'Iniciar sesión',
    hint: 'Cuenta de prueba {account}. Tras tres contraseñas incorrectas, el siguiente intento te pide completar antes una verificación.',
    email: 'Correo electrónico',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    verification: 'Verificación',
    signedIn: 'Sesión iniciada como {email}.',
    wrongCredentials: 'Correo electrónico o contraseña incorrectos.',
    serverError: 'El servidor respondió {status}.',
    widgetFailed: 'No se pudo cargar la verificación.',
    widgetTimeout: 'La verificación no terminó a tiempo.',
    retry: 'Reintentar',
  },
  fr: {
    title: 'Connexion · exemple nestjs-captcha',
    heading: 'Connexion',
    hint: 'Compte de démonstration {account}. Après trois mots de passe erronés, la tentative suivante demande d’abord une vérification.',
    email: 'E-mail',
    password: 'Mot de passe',
    submit: 'Se connecter',
    verification: 'Vérification',
    signedIn: 'Connecté en tant que {email}.',
    wrongCredentials: 'E-mail ou mot de passe incorrect.',
    serverError: 'Le serveur a répondu {status}.',
    widgetFailed: 'La vérification n’a pas pu être chargée.',
    widgetTimeout: 'La vérification ne s’est pas terminée à temps.',
    retry: 'Réessayer',
  },
  de: {
    title: 'Anmelden · nestjs-captcha-Beispiel',
    heading: 'Anmelden',
    hint: 'Demo-Konto {account}. Nach drei falschen Passwörtern verlangt der nächste Versuch zuerst eine Überprüfung.',
    email: 'E-Mail',
    password: 'Passwort',
    submit: 'Anmelden',
    verification: 'Überprüfung',
    signedIn: 'Angemeldet als {email}.',
    wrongCredentials: 'E-Mail oder Passwort falsch.',
    serverError: 'Der Server antwortete {status}.',
    widgetFailed: 'Die Überprüfung konnte nicht geladen werden.',
    widgetTimeout: 'Die Überprüfung wurde nicht rechtzeitig abgeschlossen.',
    retry: 'Erneut versuchen',
  },
  pt: {
    title: 'Entrar · exemplo do nestjs-captcha',
    heading: 'Entrar',
    hint: 'Conta de demonstração {account}. Após três senhas erradas, a tentativa seguinte pede primeiro uma verificação.',
    email: 'E-mail',
    password: 'Senha',
    submit: 'Entrar',
    verification: 'Verificação',
    signedIn: 'Sessão iniciada como {email}.',
    wrongCredentials: 'E-mail ou senha incorretos.',
    serverError: 'O servidor respondeu {status}.',
    widgetFailed: 'Não foi possível carregar a verificação.',
    widgetTimeout: 'A verificação não terminou a tempo.',
    retry: 'Tentar novamente',
  },
  ja: {
    title: 'サインイン · nestjs-captcha サンプル',
    heading: 'サインイン',
    hint: 'デモアカウント {account}。パスワードを 3 回間違えると、次の試行では先に確認を求められます。',
    email: 'メールアドレス',
    password: 'パスワード',
    submit: 'サインイン',
    verification: '確認',
    signedIn: '{email} としてサインインしました。',
    wrongCredentials: 'メールアドレスまたはパスワードが正しくありません。',
    serverError: 'サーバーの応答: {status}。',
    widgetFailed: '確認を読み込めませんでした。',
    widgetTimeout: '確認が時間内に完了しませんでした。',
    retry: '再試行',
  },
  zh: {
    title: '登录 · nestjs-captcha 示例',
    heading: '登录',
    hint: '演示账号 {account}。密码错误三次后，下一次尝试需要先完成验证。',
    email: '电子邮件',
    password: '密码',
    submit: '登录',
    verification: '验证',
    signedIn: '已登录为 {email}。',
    wrongCredentials: '电子邮件或密码错误。',
    serverError: '服务器返回 {status}。',
    widgetFailed: '无法加载验证。',
    widgetTimeout: '验证未能及时完成。',
    retry: '重试',
  },
  ru: {
    title: 'Вход · пример nestjs-captcha',
    heading: 'Вход',
    hint: 'Демо-аккаунт {account}. После трёх неверных паролей следующая попытка сначала попросит пройти проверку.',
    email: 'Эл. почта',
    password: 'Пароль',
    submit: 'Войти',
    verification: 'Проверка',
    signedIn: 'Вы вошли как {email}.',
    wrongCredentials: 'Неверная эл. почта или пароль.',
    serverError: 'Сервер ответил {status}.',
    widgetFailed: 'Не удалось загрузить проверку.',
    widgetTimeout: 'Проверка не завершилась вовремя.',
    retry: 'Повторить',
  },
};

/**
 * The page's language for a request's `Accept-Language`: the one its CAPTCHA messages are chosen
 * in (the same negotiation, `captchaMessage`), so the page and the API's answers agree; English
 * when the page has no texts for it.
 */
export function loginLanguage(acceptLanguage: string | undefined): string {
  const { language } = captchaMessage('captcha_required', acceptLanguage);
  return Object.prototype.hasOwnProperty.call(LOGIN_TEXTS, language) ? language : 'en';
}
