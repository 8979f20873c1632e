import { describeParity } from './paritySuite';

describeParity('mistral');
