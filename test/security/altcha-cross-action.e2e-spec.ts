import { Controller, HttpCode, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { RequireCaptcha, type AltchaChallenge } from 'nestjs-captcha';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

/**
 * Attack: solve ALTCHA challenges where it is cheap or unguarded (a comment form, a challenge
 * fetched for another route, or a stockpile solved ahead of time) and spend them on the login.
 */

@Controller()
class ActionsController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login() {
    return { ok: true };
  }

  @Post('comments')
  @HttpCode(201)
  @RequireCaptcha({ action: 'comment' })
  comment() {
    return { created: true };
  }
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('ALTCHA challenges bound to one action and expiring in minutes', () => {
    let app: INestApplication;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      // The module's default lifetime: no expiresInSeconds.
      app = await createCaptchaApp(
        { provider: 'altcha', altcha: FAST_ALTCHA },
        [ActionsController],
        adapter,
      );
    });
    afterAll(() => app.close());
    afterEach(() => jest.restoreAllMocks());

    const challengeFor = async (action: string): Promise<AltchaChallenge> =>
      (await http().get('/captcha/challenge').query({ action }).expect(200)).body;

    it('the challenge_url of a route names its action, and a payload solved from it passes there', async () => {
      const demanded = await http().post('/login').send({}).expect(403);
      expect(demanded.body.details.challenge_url).toBe('/captcha/challenge?action=login');
      const challenge = (await http().get(demanded.body.details.challenge_url).expect(200)).body;
      await http()
        .post('/login')
        .send({ altcha: await solveAltcha(challenge) })
        .expect(200);
    });

    it('5 payloads solved for "comment" spent on "login": 0 accepted, each 403 action_mismatch', async () => {
      const payloads = await Promise.all(
        Array.from({ length: 5 }, async () => solveAltcha(await challengeFor('comment'))),
      );
      let accepted = 0;
      for (const payload of payloads) {
        // Before the fix: 200 (a challenge was good for any route).
        const res = await http().post('/login').send({ altcha: payload });
        if (res.status === 200) accepted += 1;
        else
          expect(res.body).toMatchObject({
            error: 'captcha_invalid',
            details: { reason: 'action_mismatch', action: 'login' },
          });
      }
      expect({ acceptedOnLogin: accepted }).toEqual({ acceptedOnLogin: 0 });
      // Not burned by the attempt: still good, once, for the action it was solved for.
      await http().post('/comments').send({ altcha: payloads[0] }).expect(201);
      await http().post('/comments').send({ altcha: payloads[0] }).expect(403);
    });

    it('a challenge fetched without an action is refused on a route with one', async () => {
      const challenge = (await http().get('/captcha/challenge').expect(200)).body;
      const res = await http()
        .post('/login')
        .send({ altcha: await solveAltcha(challenge) })
        .expect(403);
      expect(res.body.details.reason).toBe('action_mismatch');
    });

    it('the action cannot be changed in the solved payload (it is signed)', async () => {
      const payload = JSON.parse(
        Buffer.from(await solveAltcha(await challengeFor('comment')), 'base64').toString('utf8'),
      );
      payload.challenge.parameters.data = { action: 'login' };
      const forged = Buffer.from(JSON.stringify(payload)).toString('base64');
      const res = await http().post('/login').send({ altcha: forged }).expect(403);
      expect(res.body.details.reason).toBe('invalid');
    });

    it('a payload submitted 301 s after its challenge was issued is expired (default lifetime 300 s)', async () => {
      const payload = await solveAltcha(await challengeFor('login'));
      const issued = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(issued + 301_000);
      // Before the fix: 200 (challenges lived 600 s by default).
      const res = await http().post('/login').send({ altcha: payload }).expect(403);
      expect(res.body.details.reason).toBe('expired');
    });
  });
});
