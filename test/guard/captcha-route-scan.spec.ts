import { Controller, Injectable, Post } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import { failedAttempts, RequireCaptcha, SkipCaptcha } from 'nestjs-captcha';
import { CaptchaTestingModule } from 'nestjs-captcha/testing';
import { CaptchaRouteScan } from '../../lib/guard/captcha-route-scan';

@Controller()
@RequireCaptcha({ action: 'class' })
class FormsController {
  @Post('login')
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '1m' }) })
  login() {
    return 'login';
  }

  @Post('health')
  @SkipCaptcha()
  health() {
    return 'ok';
  }
}

@WebSocketGateway()
class ChatGateway {
  @SubscribeMessage('say')
  @RequireCaptcha({ action: 'say' })
  say() {
    return 'said';
  }
}

@Injectable()
class PlainService {
  work() {
    return 1;
  }
}

/** One scan of the app's handlers feeds the start-up check, the outcome routing and the ws listener. */
describe('CaptchaRouteScan', () => {
  it('lists each handler once with its decorators, own requirement and transport', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot()],
      controllers: [FormsController],
      providers: [ChatGateway, PlainService],
    }).compile();
    try {
      const scan = moduleRef.get(CaptchaRouteScan);
      const forms = scan.controllers.find(({ type }) => type === FormsController);
      expect(forms).toMatchObject({ controller: true, requirement: { action: 'class' } });
      const byRoute = new Map(forms!.handlers.map((handler) => [handler.route, handler]));
      expect([...byRoute.keys()].sort()).toEqual([
        'FormsController.health',
        'FormsController.login',
      ]);
      expect(byRoute.get('FormsController.login')).toMatchObject({
        own: { action: 'login' },
        decorators: { requirement: { action: 'login' }, skipped: false },
        kind: { transport: 'http' },
      });
      expect(byRoute.get('FormsController.health')).toMatchObject({
        own: undefined,
        decorators: { skipped: true, override: 'handler-skips' },
      });

      const all = scan.all();
      expect(scan.all()).toBe(all);
      expect(all.slice(0, scan.controllers.length)).toEqual(scan.controllers);
      const gateway = all.find(({ type }) => type === ChatGateway);
      expect(gateway).toMatchObject({ controller: false });
      expect(gateway!.handlers).toEqual([
        expect.objectContaining({
          route: 'ChatGateway.say',
          kind: expect.objectContaining({ transport: 'ws' }),
          decorators: expect.objectContaining({ requirement: { action: 'say' } }),
        }),
      ]);
      const plain = all.find(({ type }) => type === PlainService);
      expect(plain!.handlers).toEqual([
        expect.objectContaining({ route: 'PlainService.work', kind: undefined, own: undefined }),
      ]);
      expect(plain!.handlers[0].decorators.requirement).toBeUndefined();
    } finally {
      await moduleRef.close();
    }
  });
});
