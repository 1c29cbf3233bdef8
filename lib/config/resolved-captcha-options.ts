import type { ClientIpHeader } from '../http/client-ip-resolver';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaStore } from '../stores/captcha-store.interface';
import type { ResolvedCaptchaClearance } from '../clearance/clearance-outcome';
import type {
  AltchaOptions,
  CaptchaCircuitBreakerOptions,
  CaptchaFailureMode,
  CaptchaModuleOptions,
  CaptchaSecret,
} from './captcha-module-options.interface';

/** Module options after validation, with every default filled in. Internal. @public */
export interface ResolvedCaptchaOptions extends Omit<
  CaptchaModuleOptions,
  | 'provider'
  | 'timeoutMs'
  | 'failureMode'
  | 'minScore'
  | 'minScoreByAction'
  | 'expectedHostnames'
  | 'trustProxy'
  | 'altcha'
  | 'store'
  | 'storeFailureMode'
  | 'circuitBreaker'
  | 'clearance'
> {
  provider: CaptchaProviderName;
  timeoutMs: number;
  failureMode: CaptchaFailureMode;
  minScore: number;
  minScoreByAction: Record<string, number>;
  expectedHostnames: string[];
  trustProxy: boolean | number | string | string[];
  altcha: Required<Omit<AltchaOptions, 'hmacKey' | 'adaptive'>> & {
    hmacKey: CaptchaSecret;
    /** `undefined` when off (the default). */
    adaptive?: ResolvedAltchaAdaptive;
  };
  /** `'memory'` unless set; a `'redis'` choice comes with `redis.url` or `redis.client`. */
  store: CaptchaStore | 'memory' | 'redis';
  storeFailureMode: 'closed' | 'open';
  /** `false` when disabled. */
  circuitBreaker: Required<CaptchaCircuitBreakerOptions> | false;
  /** In lower case; only ever set together with a `trustProxy` that trusts some proxy. */
  clientIpHeader?: ClientIpHeader;
  /** 64 unless set. */
  ipv6Prefix: number;
  /** `undefined` when clearances are off (the default). */
  clearance?: ResolvedCaptchaClearance;
}

/** `altcha.adaptive` with its defaults filled in. @public */
export interface ResolvedAltchaAdaptive {
  perFailure: number;
  maxFactor: number;
  counter?: string;
  /** Challenge requests per client beyond `free` within `windowMs` each add a level. */
  challenges?: { free: number; windowMs: number };
}
