/**
 * Dashboard entry point, bundled by build.ts (Bun.build, target browser) into `static/app.js`
 * inside the binary; served from source it is bundled on first request (src/gateway/assets.ts).
 */
import { render } from "preact";
import { DashboardApi } from "./api.ts";
import { App } from "./components/app.tsx";
import { RunsFeed } from "./runs-feed.ts";

const api = new DashboardApi(location.origin);
const feed = new RunsFeed(api);
// A new API key: start the runs list over with it.
api.authVersion.subscribe(() => feed.start());
feed.start();
render(<App api={api} feed={feed} />, document.getElementById("app")!);
