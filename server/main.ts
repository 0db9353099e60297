/**
 * Entry of the LabelLint language-server process (`out/server/main.js`), started by the extension over IPC.
 * Never imports `vscode`; the analysis engine runs in this process (its heavy part in worker threads).
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { LabelLintServer } from './lsp/server';

const connection = createConnection(ProposedFeatures.all);
new LabelLintServer(connection).listen();
