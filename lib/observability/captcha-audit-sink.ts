import { Logger } from '@nestjs/common';
import type {
  CaptchaAuditEvent,
  CaptchaAuditSink,
} from '../config/captcha-module-options.interface';

/**
 * Injection token of the active {@link CaptchaAuditSink}.
 * @internal
 */
export const CAPTCHA_AUDIT_SINK = Symbol('CAPTCHA_AUDIT_SINK');

const ERROR_EVENTS = new Set<CaptchaAuditEvent['event']>([
  'captcha.circuit_opened',
  'captcha.misconfigured',
]);

/**
 * The default audit sink: each event as one structured object through Nest's `Logger` (context
 * `CaptchaAudit`), at error level for an opened circuit and misconfiguration, warn for policy
 * decisions (fail-open, fallback), log for recoveries, and debug for each failed provider call
 * (`provider_unreachable`): the outage log says once that the provider is down, and sums up.
 * Replace it with `auditSink` to ship events elsewhere (it gets every event).
 * @internal
 */
export class LoggerAuditSink implements CaptchaAuditSink {
  private readonly logger = new Logger('CaptchaAudit');

  emit(event: CaptchaAuditEvent): void {
    if (ERROR_EVENTS.has(event.event)) this.logger.error(event);
    else if (event.event === 'captcha.provider_unreachable') this.logger.debug(event);
    else if (event.event === 'captcha.circuit_closed') this.logger.log(event);
    else this.logger.warn(event);
  }
}
