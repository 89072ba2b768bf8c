/** The pifu API as a Hono app: public registry and feedback routes, admin routes behind a bearer token. */
import { Hono } from "hono";
import type { AppEnv } from "./env.js";
import { notFound, onError } from "./errors.js";
import { adminAuth } from "./middleware/admin-auth.js";
import { corsFromEnv } from "./middleware/cors.js";
import { adminChannelRoutes } from "./routes/admin-channels.js";
import { adminModelRoutes } from "./routes/admin-models.js";
import { exportRoutes } from "./routes/export.js";
import { feedbackRoutes } from "./routes/feedback.js";
import { modelRoutes } from "./routes/models.js";
import { openApiRoutes } from "./routes/openapi.js";

export function createApp(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>().use(adminAuth()).route("/", adminModelRoutes).route("/", adminChannelRoutes);
  const app = new Hono<AppEnv>()
    .use(corsFromEnv())
    .get("/v1/health", (c) => c.json({ status: "ok" }))
    .route("/v1", openApiRoutes)
    .route("/v1", modelRoutes)
    .route("/v1", feedbackRoutes)
    .use("/v1/feedback/export", adminAuth())
    .route("/v1", exportRoutes)
    .route("/v1/admin", admin);
  app.onError(onError);
  app.notFound(notFound);
  return app;
}
