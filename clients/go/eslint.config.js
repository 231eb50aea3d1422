import strata from '@strata/eslint-config';

export default strata;
