/**
 * The client-side half of the password policy (issue 4): at least 8 characters and not the
 * current password, and the confirmation must match. The backend enforces the policy again and
 * answers `password_policy` when it refuses; its message is shown as is.
 */
export const MIN_PASSWORD_LENGTH = 8;

export type PasswordProblem = "too_short" | "same_as_old" | "mismatch";

export const PASSWORD_PROBLEM_TEXT: Record<PasswordProblem, string> = {
  too_short: `The new password must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
  same_as_old: "The new password must be different from the current one.",
  mismatch: "The confirmation doesn't match the new password.",
};

/** Length in characters as a person counts them (code points), not UTF-16 units. */
function characterCount(text: string): number {
  return Array.from(text).length;
}

export function passwordProblems(input: { oldPassword: string; newPassword: string; confirm: string }): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if (characterCount(input.newPassword) < MIN_PASSWORD_LENGTH) problems.push("too_short");
  if (input.newPassword.length > 0 && input.newPassword === input.oldPassword) problems.push("same_as_old");
  if (input.confirm !== input.newPassword) problems.push("mismatch");
  return problems;
}
