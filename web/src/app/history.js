// History: durations of ongoing incidents follow the live clock.
import { localize } from "./format.js";
import { connect, refresh, throttle } from "./live.js";

export function start(ctx) {
  const swap = throttle(() => refresh(() => localize(document, ctx.fmt, ctx.now)), 3000);
  connect({
    generation: ctx.data.generation,
    strings: ctx.strings,
    onUpdate: (msg) => {
      ctx.now = new Date(msg.now);
      if ((msg.incidents && msg.incidents.length) || (msg.events && msg.events.length)) swap();
    },
    onResync: swap,
  });
}
