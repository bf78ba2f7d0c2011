/** The tests' clock: the station's VirtualClock, under the name the tests use. */
export { VirtualClock as ManualClock, flushMicrotasks } from '../../runtime/kernel/virtual-clock.js';
