import { Agent as HttpAgent } from 'node:http';
import {
  AUDIT_SINK_ACCEPTED,
  CIRCUIT_ACCEPTED,
  DISPATCHER_ACCEPTED,
  HALF_OPEN_ACCEPTED,
  THRESHOLD_ACCEPTED,
  refusedOptions,
  refusedVariables,
} from './config-helpers';

// The rules of one family (verdicts, resilience, observability and hooks), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('verdicts, resilience, observability and hooks', () => {
  refusedOptions([
    [
      'a negative timeout',
      { timeoutMs: -5 },
      'options.timeoutMs: -5 is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'a timeout as a string',
      { timeoutMs: '3000' },
      'options.timeoutMs: "3000" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'a fractional timeout',
      { timeoutMs: 1500.5 },
      'options.timeoutMs: 1500.5 is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'circuitBreaker true',
      { circuitBreaker: true },
      `options.circuitBreaker: true is not an object or false; accepted: ${CIRCUIT_ACCEPTED}`,
    ],
    [
      'circuitBreaker a number',
      { circuitBreaker: 5 },
      `options.circuitBreaker: 5 is not an object or false; accepted: ${CIRCUIT_ACCEPTED}`,
    ],
    [
      'circuitBreaker.threshold 0',
      { circuitBreaker: { threshold: 0 } },
      `options.circuitBreaker.threshold: 0 is out of range; accepted: ${THRESHOLD_ACCEPTED}`,
    ],
    [
      'circuitBreaker.threshold above 1000',
      { circuitBreaker: { threshold: 1001 } },
      `options.circuitBreaker.threshold: 1001 is out of range; accepted: ${THRESHOLD_ACCEPTED}`,
    ],
    [
      'circuitBreaker.threshold a fraction',
      { circuitBreaker: { threshold: 2.5 } },
      `options.circuitBreaker.threshold: 2.5 is not a whole number; accepted: ${THRESHOLD_ACCEPTED}`,
    ],
    [
      'circuitBreaker.threshold a string',
      { circuitBreaker: { threshold: '5' } },
      `options.circuitBreaker.threshold: "5" is not a whole number; accepted: ${THRESHOLD_ACCEPTED}`,
    ],
    [
      'circuitBreaker.halfOpenAfterMs under 100',
      { circuitBreaker: { halfOpenAfterMs: 99 } },
      `options.circuitBreaker.halfOpenAfterMs: 99 is out of range; accepted: ${HALF_OPEN_ACCEPTED}`,
    ],
    [
      'circuitBreaker.halfOpenAfterMs over an hour',
      { circuitBreaker: { threshold: 5, halfOpenAfterMs: 3_600_001 } },
      `options.circuitBreaker.halfOpenAfterMs: 3600001 is out of range; accepted: ${HALF_OPEN_ACCEPTED}`,
    ],
    [
      'circuitBreaker.halfOpenAfterMs infinite',
      { circuitBreaker: { halfOpenAfterMs: Infinity } },
      `options.circuitBreaker.halfOpenAfterMs: Infinity is not a whole number; accepted: ${HALF_OPEN_ACCEPTED}`,
    ],
    [
      'an audit sink that is a function',
      { auditSink: () => undefined },
      `options.auditSink: a function is not an audit sink; accepted: ${AUDIT_SINK_ACCEPTED}`,
    ],
    [
      'an audit sink without emit',
      { auditSink: { log: () => undefined } },
      `options.auditSink: an object is not an audit sink: it lacks emit; accepted: ${AUDIT_SINK_ACCEPTED}`,
    ],
    [
      'an audit sink whose emit is not a function',
      { auditSink: { emit: 'log' } },
      `options.auditSink: an object is not an audit sink: it lacks emit; accepted: ${AUDIT_SINK_ACCEPTED}`,
    ],
    [
      'a dispatcher that is a string',
      { dispatcher: 'keep-alive' },
      `options.dispatcher: "keep-alive" is not a dispatcher; accepted: ${DISPATCHER_ACCEPTED}`,
    ],
    [
      'a node:http Agent as the dispatcher',
      { dispatcher: new HttpAgent() },
      `options.dispatcher: an object is not a dispatcher: it lacks dispatch; accepted: ${DISPATCHER_ACCEPTED}`,
    ],
    [
      'the former httpAgents option',
      { httpAgents: { https: new HttpAgent() } },
      `options.httpAgents: an object is no longer supported (provider calls go through undici); accepted: dispatcher: ${DISPATCHER_ACCEPTED}`,
    ],
    [
      'a min score above 1',
      { minScore: 5 },
      'options.minScore: 5 is out of range; accepted: a number from 0 to 1, e.g. 0.5',
    ],
    [
      'a NaN min score',
      { minScore: NaN },
      'options.minScore: NaN is not a number; accepted: a number from 0 to 1, e.g. 0.5',
    ],
    [
      'a per-action score out of range',
      { minScoreByAction: { checkout: 0.7, 'sign-up': -1 } },
      'options.minScoreByAction["sign-up"]: -1 is out of range; accepted: a number from 0 to 1, e.g. 0.5',
    ],
    [
      'per-action scores that are not an object',
      { minScoreByAction: [0.5] },
      'options.minScoreByAction: [0.5] is not an object; accepted: an object of action names to minimum scores, e.g. { checkout: 0.7 }',
    ],
    [
      'a zero max token age',
      { maxTokenAgeSeconds: 0 },
      'options.maxTokenAgeSeconds: 0 is out of range; accepted: an integer from 1 to 86400 (seconds)',
    ],
    [
      'a token extractor that is not a function',
      { tokenExtractor: 'body.token' },
      'options.tokenExtractor: "body.token" is not a function; accepted: a function (request) => token | undefined',
    ],
    [
      'a skipIf that is not a function',
      { skipIf: true },
      'options.skipIf: true is not a function; accepted: a function (context: ExecutionContext) => boolean | Promise<boolean>',
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_TIMEOUT_MS not a number',
      { CAPTCHA_TIMEOUT_MS: 'abc' },
      'CAPTCHA_TIMEOUT_MS: "abc" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'CAPTCHA_TIMEOUT_MS a fraction',
      { CAPTCHA_TIMEOUT_MS: '1500.5' },
      'CAPTCHA_TIMEOUT_MS: "1500.5" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'CAPTCHA_TIMEOUT_MS too small',
      { CAPTCHA_TIMEOUT_MS: '99' },
      'CAPTCHA_TIMEOUT_MS: "99" is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'CAPTCHA_TIMEOUT_MS too large',
      { CAPTCHA_TIMEOUT_MS: '60001' },
      'CAPTCHA_TIMEOUT_MS: "60001" is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
    ],
    [
      'CAPTCHA_MIN_SCORE not a number',
      { CAPTCHA_MIN_SCORE: 'high' },
      'CAPTCHA_MIN_SCORE: "high" is not a number; accepted: a number from 0 to 1, e.g. 0.5',
    ],
    [
      'CAPTCHA_MIN_SCORE above 1',
      { CAPTCHA_MIN_SCORE: '1.5' },
      'CAPTCHA_MIN_SCORE: "1.5" is out of range; accepted: a number from 0 to 1, e.g. 0.5',
    ],
    [
      'CAPTCHA_MIN_SCORE negative',
      { CAPTCHA_MIN_SCORE: '-0.1' },
      'CAPTCHA_MIN_SCORE: "-0.1" is out of range; accepted: a number from 0 to 1, e.g. 0.5',
    ],
  ]);
});
