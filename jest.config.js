/** Jest runs the TypeScript sources directly on NestJS 11 (CommonJS). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^nestjs-captcha$': '<rootDir>/lib/index.ts',
    '^nestjs-captcha/testing$': '<rootDir>/lib/testing/index.ts',
  },
  testTimeout: 20000,
  setupFilesAfterEnv: ['<rootDir>/test/support/leak-detector.ts'],
};
