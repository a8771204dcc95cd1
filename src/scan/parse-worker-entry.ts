/** The worker script under tsx (tests, development); bundles start workers from themselves. */
import { runParseWorker } from "./parse-worker.js";

runParseWorker();
