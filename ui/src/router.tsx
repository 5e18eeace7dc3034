import {
  createRootRoute,
  createRoute,
  createRouter,
  redirect,
  type RouterHistory,
} from "@tanstack/react-router";
import { AppShell } from "./components/layout/AppShell";
import { ChatPage } from "./pages/chat/ChatPage";
import { ModelsPage } from "./pages/models/ModelsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RecipesPage } from "./pages/recipes/RecipesPage";
import { SettingsPage } from "./pages/settings/SettingsPage";
import { TrainPage } from "./pages/train/TrainPage";

const rootRoute = createRootRoute({ component: AppShell, notFoundComponent: NotFoundPage });

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/",
  beforeLoad: () => redirect({ to: "/chat", replace: true, throw: true }),
});

const chatRoute = createRoute({ getParentRoute: () => rootRoute, path: "/chat", component: ChatPage });
const modelsRoute = createRoute({ getParentRoute: () => rootRoute, path: "/models", component: ModelsPage });
const trainRoute = createRoute({ getParentRoute: () => rootRoute, path: "/train", component: TrainPage });
const recipesRoute = createRoute({ getParentRoute: () => rootRoute, path: "/recipes", component: RecipesPage });
const settingsRoute = createRoute({ getParentRoute: () => rootRoute, path: "/settings", component: SettingsPage });

export const routeTree = rootRoute.addChildren([
  indexRoute,
  chatRoute,
  modelsRoute,
  trainRoute,
  recipesRoute,
  settingsRoute,
]);

/** The app's router. Tests pass a memory history; the app uses the browser's. */
export function createAppRouter(options: { history?: RouterHistory } = {}) {
  return createRouter({ routeTree, history: options.history, defaultPreload: "intent" });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
