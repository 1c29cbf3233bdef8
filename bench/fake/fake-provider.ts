import { FakeCaptchaServer, type FaultOptions } from 'nestjs-captcha/testing';
import { failStart, serveCalls } from '../support/ipc';

/**
 * The fake provider in its own process: `FakeCaptchaServer` on 127.0.0.1, its reCAPTCHA route
 * being the siteverify every app under test calls. Calls: `fault` / `clearFaults` (as on the
 * server), `verifyCalls` (reCAPTCHA siteverify requests received so far).
 *
 * The server records every request for tests; here the record is drained into a counter four
 * times a second so a multi-minute run does not grow it without bound.
 */
void (async () => {
  try {
    const fake = await FakeCaptchaServer.start();
    let recaptchaCalls = 0;
    const drain = () => {
      for (const request of fake.requests) if (request.provider === 'recaptcha') recaptchaCalls++;
      fake.requests.length = 0;
    };
    setInterval(drain, 250).unref();
    serveCalls(
      { verifyUrl: fake.verifyUrl('recaptcha') },
      {
        fault: (args) => fake.fault('recaptcha', args as FaultOptions),
        clearFaults: () => fake.clearFaults(),
        verifyCalls: () => {
          drain();
          return recaptchaCalls;
        },
      },
      () => fake.close(),
    );
  } catch (error) {
    failStart(error);
  }
})();
