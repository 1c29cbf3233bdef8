import {
  Controller,
  Injectable,
  Post,
  UseInterceptors,
  type NestInterceptor,
} from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { CaptchaOutcomeInterceptor } from 'nestjs-captcha';
import {
  hasOutcomeInterceptor,
  NEST_INTERCEPTORS_METADATA,
  takeOutcomeInterceptorOff,
} from '../../lib/guard/outcome-interceptor-metadata';

@Injectable()
class OtherInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: { handle(): unknown }) {
    return next.handle() as never;
  }
}

@Controller()
@UseInterceptors(CaptchaOutcomeInterceptor)
class ParentController {
  @Post('a')
  @UseInterceptors(OtherInterceptor, CaptchaOutcomeInterceptor)
  a() {
    return 'a';
  }
}

@Controller()
class ChildController extends ParentController {}

/**
 * The one place that edits Nest's private interceptor metadata (the outcome routing's saving on
 * status-counted HTTP routes). These pin what it relies on and what it must leave alone.
 */
describe('takeOutcomeInterceptorOff', () => {
  it('reads and writes the key Nest reads its interceptors from (a Nest upgrade renaming it fails here)', () => {
    expect(NEST_INTERCEPTORS_METADATA).toBe(INTERCEPTORS_METADATA);
  });

  it("takes only ours off a handler's own list, in place, keeping the app's interceptors", () => {
    const before = Reflect.getOwnMetadata(INTERCEPTORS_METADATA, ParentController.prototype.a);
    expect(hasOutcomeInterceptor(ParentController.prototype.a)).toBe(true);
    takeOutcomeInterceptorOff(ParentController.prototype.a);
    const after = Reflect.getOwnMetadata(INTERCEPTORS_METADATA, ParentController.prototype.a);
    expect(after).toBe(before);
    expect(after).toEqual([OtherInterceptor]);
    expect(hasOutcomeInterceptor(ParentController.prototype.a)).toBe(false);
  });

  it('leaves a list the class inherits alone (own metadata only) and ignores targets without one', () => {
    expect(hasOutcomeInterceptor(ChildController)).toBe(true);
    takeOutcomeInterceptorOff(ChildController);
    expect(hasOutcomeInterceptor(ParentController)).toBe(true);
    expect(hasOutcomeInterceptor(ChildController)).toBe(true);
    expect(() => takeOutcomeInterceptorOff(class Bare {})).not.toThrow();
    takeOutcomeInterceptorOff(ParentController);
    expect(Reflect.getOwnMetadata(INTERCEPTORS_METADATA, ParentController)).toEqual([]);
    expect(hasOutcomeInterceptor(ChildController)).toBe(false);
  });
});
