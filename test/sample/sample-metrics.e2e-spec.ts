import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { register } from 'prom-client';
import request from 'supertest';
import { AppModule } from '../../sample/app.module';
import { ADAPTERS, startApp } from '../support/create-app';
import { solveAltcha } from '../support/solve-altcha';

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('sample GET /metrics', () => {
    let app: INestApplication;
    beforeAll(async () => {
      register.resetMetrics();
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = await startApp(moduleRef, adapter, { listen: false });
    });
    afterAll(() => app.close());

    it('serves the Prometheus text with the checkpoint counters', async () => {
      const http = () => request(app.getHttpServer());
      await http()
        .post('/auth/signup')
        .send({ email: 'a@example.com', password: 'pw' })
        .expect(403);
      const payload = await solveAltcha(
        (await http().get('/captcha/challenge?action=signup')).body,
      );
      await http()
        .post('/auth/signup')
        .send({ email: 'a@example.com', password: 'pw', altcha: payload })
        .expect(201);
      await http()
        .post('/auth/signup')
        .send({ email: 'a@example.com', password: 'pw', altcha: payload })
        .expect(403);

      const res = await http().get('/metrics').expect(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.text).toContain(
        'captcha_verifications_total{provider="altcha",action="signup",outcome="missing"} 1',
      );
      expect(res.text).toContain(
        'captcha_verifications_total{provider="altcha",action="signup",outcome="success"} 1',
      );
      expect(res.text).toContain(
        'captcha_verifications_total{provider="altcha",action="signup",outcome="duplicate"} 1',
      );
      expect(res.text).toContain('captcha_challenges_total{action="signup",condition="always"} 3');
      expect(res.text).toMatch(
        /captcha_verification_duration_seconds_bucket\{le="0\.005",provider="altcha",outcome="success"\} \d/,
      );
    });
  });
});
