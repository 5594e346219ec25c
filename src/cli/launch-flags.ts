// V8 flags the launcher (src/cli/launch.ts) sets before it compiles the bundle. The code cache
// records the flags it was made under and V8 rejects it under others, so the build's training run
// and every later start must set the same ones: both go through the launcher, and the test of the
// cache reads them from here.
//
// A larger interrupt budget: V8 hands a function to its optimising compiler (TurboFan) once the
// function has used up this budget of work, 67584 by default. Most composec commands are over in
// a few hundred milliseconds, before optimised code pays back what compiling it (and throwing it
// away again on a deoptimisation) costs: on `npm run bench:config`, 200 services, the default
// budget made the median about 25 ms slower (measured side by side, 61 rounds). Long-running
// commands (`logs -f`, an attached `up`) still get their hot functions optimised, only a little
// later.
export const LAUNCH_V8_FLAGS = "--interrupt-budget=1000000";
