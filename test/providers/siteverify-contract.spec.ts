import { siteverifyContract } from './siteverify-contract';
import { SITEVERIFY_PROFILES } from './siteverify-profiles';

// One siteverify contract for every remote provider; what only one provider does stays in its spec.
describe.each(SITEVERIFY_PROFILES.map((profile) => [profile.provider, profile] as const))(
  '%s siteverify contract',
  (_provider, profile) => {
    siteverifyContract(profile);
  },
);
