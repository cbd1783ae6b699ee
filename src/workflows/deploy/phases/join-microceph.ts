// A member joins MicroCeph (its OSDs follow in add-osds.ts, §1.3 2c).
import { joinMicrocluster } from './join-microcluster.js';

export const joinMicroceph = joinMicrocluster('microceph', 'join MicroCeph');
