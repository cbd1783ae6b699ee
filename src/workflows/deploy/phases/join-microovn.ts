// A member joins MicroOVN, with its underlay address as ovn-encap-ip when it has one (§1.3).
import { joinMicrocluster } from './join-microcluster.js';

export const joinMicroovn = joinMicrocluster('microovn', 'join MicroOVN');
