import { captureAnswer } from './capture.js';
import { checkAnswer } from './check.js';
import { diffAnswer } from './diff.js';
import { forgetAnswer } from './forget.js';
import { historyAnswer } from './history.js';
import { ingestAnswer } from './ingest.js';
import { peersAnswer } from './peers.js';
import { reportAnswer } from './report.js';
import { showAnswer } from './show.js';
import { snapshotsAnswer } from './snapshots.js';
import { whoisAllAnswer, whoisAnswer } from './whois.js';

/** Every `--json` answer by name, with the command that prints it: what docs/json.md is generated from. */
export const ANSWERS = {
  snapshots: { command: 'nsnap snapshots --json', schema: snapshotsAnswer },
  show: { command: 'nsnap show --json', schema: showAnswer },
  peers: { command: 'nsnap peers --json', schema: peersAnswer },
  diff: { command: 'nsnap diff FROM TO --json', schema: diffAnswer },
  history: { command: 'nsnap history --json', schema: historyAnswer },
  whois: { command: 'nsnap whois WHAT --json', schema: whoisAnswer },
  whoisAll: { command: 'nsnap whois NAME --all --json', schema: whoisAllAnswer },
  check: { command: 'nsnap check --json', schema: checkAnswer },
  capture: { command: 'nsnap capture WHAT --json', schema: captureAnswer },
  ingest: { command: 'nsnap ingest SOURCE… --json', schema: ingestAnswer },
  forget: { command: 'nsnap forget SEL --json, nsnap prune --json', schema: forgetAnswer },
  report: { command: 'nsnap report --out FILE --json', schema: reportAnswer },
} as const;
