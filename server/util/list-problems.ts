// Lists people upload (administrative units, account lists) are judged whole: every problem of
// every line is reported at once, each naming its line and column, and nothing is stored while
// any remains. One shape for all of them, so the pages show them the same way.

/** A problem of one line and column: a stable code the page translates (with `params`); `message` is the English. */
export interface ListProblem<C extends string = string> {
  /** The line as the person sees it in their file (the header is line 1). */
  line: number;
  column: string;
  code: C;
  params?: Record<string, string | number>;
  message: string;
}

export class ListError<C extends string = string> extends Error {
  readonly problems: Array<ListProblem<C>>;

  constructor(problems: Array<ListProblem<C>>) {
    super(problems.slice(0, 5).map((p) => `line ${p.line}, ${p.column}: ${p.message}`).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''));
    this.name = 'ListError';
    this.problems = problems;
  }
}
