/** `dist/index.js`: the action. Everything lives in main.ts, which exports run(). */
import { run } from "./main.js";

void run();
