import { CaptchaRiskService, ClientIpResolver, MemoryCaptchaStore } from 'nestjs-captcha';

/**
 * `CaptchaRiskService` keys IPv6 subjects by network, as `per: 'ip'` does, so an app feeding
 * counters with the full client address counts the same subject the condition reads.
 */
describe('CaptchaRiskService groups IPv6 subjects like per: ip', () => {
  it('addresses of one /64 share a counter; another /64 and IPv4 subjects do not', async () => {
    const risk = new CaptchaRiskService(new MemoryCaptchaStore(), new ClientIpResolver(false));
    await risk.recordFailure('otp', '2001:db8:1:2::1');
    await risk.recordFailure('otp', '2001:DB8:1:2:aaaa:bbbb:cccc:dddd');
    expect(await risk.failures('otp', '2001:db8:1:2::99')).toBe(2);
    expect(await risk.failures('otp', '2001:db8:1:3::1')).toBe(0);
    await risk.recordFailure('otp', '::ffff:192.0.2.1');
    expect(await risk.failures('otp', '192.0.2.1')).toBe(1);
    expect(await risk.failures('otp', '192.0.2.2')).toBe(0);
  });

  it('composite subjects group their IPv6 part, and leave other parts alone', async () => {
    const risk = new CaptchaRiskService(
      new MemoryCaptchaStore(),
      new ClientIpResolver(false, { ipv6Prefix: 56 }),
    );
    await risk.recordFailure('login', '2001:db8:1:200::1|Ana@Example.com');
    expect(await risk.failures('login', '2001:db8:1:2ff::7|ana@example.com')).toBe(1);
    expect(await risk.failures('login', '2001:db8:1:2ff::7|bob@example.com')).toBe(0);
    await risk.reset('login', '2001:db8:1:250::1|ana@example.com');
    expect(await risk.failures('login', '2001:db8:1:200::1|ana@example.com')).toBe(0);
  });

  it('without a resolver (constructed by hand) subjects are kept as they are', async () => {
    const risk = new CaptchaRiskService(new MemoryCaptchaStore());
    await risk.recordFailure('otp', '2001:db8:1:2::1');
    expect(await risk.failures('otp', '2001:db8:1:2::1')).toBe(1);
    expect(await risk.failures('otp', '2001:db8:1:2::2')).toBe(0);
  });
});
