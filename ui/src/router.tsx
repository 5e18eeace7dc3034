import {
  createRootRoute,
  createRoute,
  createRouter,
  Outlet,
  redirect,
  type RouterHistory,
} from "@tanstack/react-router";
import { AppShell } from "./components/layout/AppShell";
import { RouteErrorPage } from "./components/RouteErrorPage";
import {
  requireAppSession,
  requireFirstRunPending,
  requireSessionForPasswordChange,
  requireSignedOut,
  validateReturnSearch,
} from "./lib/auth-guard";
import { AuthLayout } from "./pages/auth/AuthLayout";
import { ChangePasswordPage } from "./pages/auth/ChangePasswordPage";
import { FirstRunPage } from "./pages/auth/FirstRunPage";
import { LoginPage } from "./pages/auth/LoginPage";
import { ChatPage } from "./pages/chat/ChatPage";
import { ModelsPage } from "./pages/models/ModelsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RecipesPage } from "./pages/recipes/RecipesPage";
import { SettingsPage } from "./pages/settings/SettingsPage";
import { TrainPage } from "./pages/train/TrainPage";

const rootRoute = createRootRoute({
  component: Outlet,
  notFoundComponent: NotFoundPage,
  errorComponent: RouteErrorPage,
});

// Sign-in pages: full screen, no sidebar.
const authLayoutRoute = createRoute({ getParentRoute: () => rootRoute, id: "auth", component: AuthLayout });

const firstRunRoute = createRoute({
  getParentRoute: () => authLayoutRoute,
  path: "/first-run",
  beforeLoad: requireFirstRunPending,
  component: FirstRunPage,
});

const loginRoute = createRoute({
  getParentRoute: () => authLayoutRoute,
  path: "/login",
  validateSearch: validateReturnSearch,
  beforeLoad: ({ search }) => requireSignedOut(search),
  component: LoginPage,
});

const changePasswordRoute = createRoute({
  getParentRoute: () => authLayoutRoute,
  path: "/change-password",
  validateSearch: validateReturnSearch,
  beforeLoad: ({ search }) => requireSessionForPasswordChange(search),
  component: ChangePasswordPage,
});

// The app: sidebar layout, only with a session (see requireAppSession for the start-up flow).
const appLayoutRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  component: AppShell,
  beforeLoad: ({ location }) => requireAppSession(location.href),
});

const indexRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/",
  beforeLoad: () => redirect({ to: "/chat", replace: true, throw: true }),
});

const chatRoute = createRoute({ getParentRoute: () => appLayoutRoute, path: "/chat", component: ChatPage });
const modelsRoute = createRoute({ getParentRoute: () => appLayoutRoute, path: "/models", component: ModelsPage });
const trainRoute = createRoute({ getParentRoute: () => appLayoutRoute, path: "/train", component: TrainPage });
const recipesRoute = createRoute({ getParentRoute: () => appLayoutRoute, path: "/recipes", component: RecipesPage });
const settingsRoute = createRoute({ getParentRoute: () => appLayoutRoute, path: "/settings", component: SettingsPage });

export const routeTree = rootRoute.addChildren([
  authLayoutRoute.addChildren([firstRunRoute, loginRoute, changePasswordRoute]),
  appLayoutRoute.addChildren([indexRoute, chatRoute, modelsRoute, trainRoute, recipesRoute, settingsRoute]),
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
