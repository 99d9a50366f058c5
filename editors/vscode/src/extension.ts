// The VS Code extension's entry point: finds and starts the LeIndex LSP server (vscode-languageclient),
// implements the lens commands (callers in the references view, impact in a quick pick), deep analysis
// (a Markdown preview with links and a "Copy as LLM context" action), the status bar item, live settings,
// and registers the MCP bridge for VS Code's agent on the same index. The logic that does not need the
// `vscode` module lives in lsp_ext.ts, server.ts, config.ts and render.ts, where it is unit-tested.
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CallHierarchyIncomingCallsRequest,
  CallHierarchyPrepareRequest,
  CodeLensRequest,
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  ReferencesRequest,
  ResponseError,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  anyLens,
  changeEffect,
  didChangeConfigurationParams,
  readSettings,
  serverEnv,
  serverSettings,
  type Settings,
} from './config';
import * as ext from './lsp_ext';
import {
  analysisDocument,
  callerLocations,
  fileLink,
  impactItems,
  impactTitle,
  statusBarView,
  statusDetails,
} from './render';
import { bridgeArgs, findBridge, findServer, type Found, isFound, nodeDeps } from './server';

/** The languages the server indexes (server/engine `Language`), by VS Code language id. */
export const LANGUAGES = ['rust', 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'java', 'c', 'cpp', 'csharp', 'ruby'];

const ANALYSIS_SCHEME = 'leindex-analysis';
const MCP_PROVIDER_ID = 'leindex.mcp';

let ctx: vscode.ExtensionContext;
let log: vscode.LogOutputChannel;
let settings: Settings;
let client: LanguageClient | undefined;
let server: Found | undefined;
let statusItem: vscode.StatusBarItem;
let statusTimer: NodeJS.Timeout | undefined;
let lastStatus: ext.StatusResult | undefined;
const mcpChanged = new vscode.EventEmitter<void>();

/** Analysis documents by URI: the rendered view and the server's Markdown (what "Copy" copies). */
const analyses = new Map<string, { view: string; markdown: string }>();
const analysisChanged = new vscode.EventEmitter<vscode.Uri>();
let lastAnalysis: string | undefined;
let analysisCount = 0;

function currentSettings(): Settings {
  const cfg = vscode.workspace.getConfiguration('leindex');
  return readSettings((key) => cfg.get(key));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = context;
  log = vscode.window.createOutputChannel('LeIndex', { log: true });
  settings = currentSettings();
  statusItem = vscode.window.createStatusBarItem('leindex.status', vscode.StatusBarAlignment.Left, 10);
  statusItem.name = 'LeIndex';
  statusItem.command = 'leindex.status';
  // The editor context menu entries show only in the languages the server indexes.
  void vscode.commands.executeCommand('setContext', 'leindex.languages', LANGUAGES);
  context.subscriptions.push(log, statusItem, mcpChanged, analysisChanged);

  const command = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (e) {
          reportError(id, e);
        }
      }),
    );
  };
  command(ext.SHOW_CALLERS, (...args) => showCallers(args));
  command(ext.SHOW_IMPACT, (...args) => showImpact(args));
  command('leindex.deepAnalyze', () => deepAnalyze(false));
  command('leindex.deepAnalyzeHere', () => deepAnalyze(true));
  command('leindex.copyAnalysis', (uri) => copyAnalysis(uri));
  command('leindex.status', () => showStatus());
  command('leindex.restartServer', () => restart());
  command('leindex.showLog', () => log.show());

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(ANALYSIS_SCHEME, {
      onDidChange: analysisChanged.event,
      provideTextDocumentContent: (uri) => analyses.get(uri.toString())?.view ?? '',
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('leindex')) void settingsChanged();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => mcpChanged.fire()),
  );
  registerMcp(context);
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(): Promise<void> {
  showStatusBar({ kind: 'starting' });
  const found = await findServer(nodeDeps(settings.serverPath, ctx.extensionPath));
  for (const a of found.attempts) log.info(`server lookup: ${a.source} ${a.target}: ${a.problem ?? 'ok'}`);
  if (!isFound(found)) {
    server = undefined;
    mcpChanged.fire();
    log.error(found.message);
    showStatusBar({ kind: 'error', message: 'no server binary (click for details)' });
    void vscode.window.showErrorMessage(found.message, 'Open Settings', 'Show Log').then((pick) => {
      if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'leindex.server.path');
      if (pick === 'Show Log') log.show();
    });
    return;
  }
  server = found;
  mcpChanged.fire();
  log.info(`starting ${found.path} ${found.args.join(' ')} (${found.version}, from ${found.source})`);
  const folder = vscode.workspace.workspaceFolders?.[0];
  const serverOptions: ServerOptions = {
    command: found.path,
    args: found.args,
    transport: TransportKind.stdio,
    options: { env: serverEnv(settings, process.env), cwd: folder?.uri.fsPath },
  };
  const clientOptions: LanguageClientOptions = {
    // One server per window, rooted at the first workspace folder (the server indexes one root); the
    // pattern keeps files of other folders away from it.
    documentSelector: LANGUAGES.map((language) =>
      folder ? { scheme: 'file', language, pattern: `${folder.uri.fsPath.replace(/\\/g, '/')}/**/*` } : { scheme: 'file', language },
    ),
    initializationOptions: serverSettings(settings),
    outputChannel: log,
    middleware: {
      // With every lens part switched off there is nothing to show: do not even ask.
      provideCodeLenses: (document, token, next) => (anyLens(settings.lenses) ? next(document, token) : []),
    },
  };
  client = new LanguageClient('leindex', 'LeIndex', serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) showStatusBar({ kind: 'error', message: 'the server stopped (click for details)' });
  });
  try {
    await client.start();
  } catch (e) {
    reportError('start', e);
    showStatusBar({ kind: 'error', message: `the server did not start: ${(e as Error).message}` });
    return;
  }
  void pollStatus();
  if (settings.statusPollSeconds > 0) {
    statusTimer = setInterval(() => void pollStatus(), settings.statusPollSeconds * 1000);
  }
}

async function stop(): Promise<void> {
  if (statusTimer) clearInterval(statusTimer);
  statusTimer = undefined;
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop(5000);
    } catch (e) {
      log.warn(`stopping the server: ${(e as Error).message}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  settings = currentSettings();
  await start();
}

/** Applies a settings change without a window reload: restart for the binary or log level, else notify. */
async function settingsChanged(): Promise<void> {
  const before = settings;
  const after = currentSettings();
  const effect = changeEffect(before, after);
  log.info(`settings changed: ${effect}`);
  if (effect === 'restart') {
    await restart();
    return;
  }
  settings = after;
  if (before.mcpEnabled !== after.mcpEnabled) mcpChanged.fire();
  if (before.statusPollSeconds !== after.statusPollSeconds && client) {
    if (statusTimer) clearInterval(statusTimer);
    statusTimer = after.statusPollSeconds > 0 ? setInterval(() => void pollStatus(), after.statusPollSeconds * 1000) : undefined;
  }
  if (effect === 'notify' && client?.isRunning()) {
    await client.sendNotification(DidChangeConfigurationNotification.type, didChangeConfigurationParams(after));
    // The server answers with workspace/codeLens/refresh; ask again ourselves too, for the lenses this
    // extension filters (all parts off) and for servers that do not refresh.
    const lenses = client.getFeature(CodeLensRequest.method);
    for (const editor of vscode.window.visibleTextEditors) {
      lenses.getProvider(editor.document)?.onDidChangeCodeLensEmitter.fire();
    }
  }
}

function running(): LanguageClient {
  if (!client?.isRunning()) {
    throw new Error(server ? 'the server is not running (LeIndex: Restart Server)' : 'no server binary: see LeIndex: Show Log');
  }
  return client;
}

function reportError(what: string, e: unknown): void {
  let msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ResponseError && e.code === ext.REQUEST_FAILED) msg = `not ready yet: ${e.message}`;
  log.error(`${what}: ${msg}`);
  void vscode.window.showErrorMessage(`LeIndex: ${msg}`);
}

/** The lens arguments, or the cursor's place when the command comes from the palette or a key binding. */
function lensTarget(args: unknown[]): ext.LensArgs {
  if (args.length > 0) return ext.parseLensArgs(args);
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('place the cursor on a symbol first');
  const p = editor.selection.active;
  const word = editor.document.getText(editor.document.getWordRangeAtPosition(p));
  return { uri: editor.document.uri.toString(), position: { line: p.line, character: p.character }, name: word || 'symbol' };
}

/** `leindex.showCallers`: incoming calls and references of the symbol, in the references view. */
async function showCallers(args: unknown[]): Promise<void> {
  const c = running();
  const t = lensTarget(args);
  const at = { textDocument: { uri: t.uri }, position: t.position };
  const items = await c.sendRequest(CallHierarchyPrepareRequest.type, at);
  const [incoming, refs] = await Promise.all([
    items && items.length > 0 ? c.sendRequest(CallHierarchyIncomingCallsRequest.type, { item: items[0] }) : null,
    c.sendRequest(ReferencesRequest.type, { ...at, context: { includeDeclaration: false } }),
  ]);
  const locations = callerLocations(incoming, refs).map((l) => c.protocol2CodeConverter.asLocation(l));
  if (locations.length === 0) {
    void vscode.window.showInformationMessage(`LeIndex: nothing calls or references \`${t.name}\``);
    return;
  }
  await vscode.commands.executeCommand(
    'editor.action.showReferences',
    vscode.Uri.parse(t.uri),
    new vscode.Position(t.position.line, t.position.character),
    locations,
  );
}

/** The directory project-relative paths in answers are relative to. */
function serverRoot(): string | undefined {
  return lastStatus?.root ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

async function openAt(rel: string, line: number): Promise<void> {
  const root = serverRoot();
  if (!root) throw new Error('no workspace folder');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, rel)));
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}

/** `leindex.showImpact`: what reaches the symbol within 3 hops, nearest first, in a quick pick that navigates. */
async function showImpact(args: unknown[]): Promise<void> {
  const c = running();
  const t = lensTarget(args);
  const result = await c.sendRequest(ext.impact, { textDocument: { uri: t.uri }, position: t.position, depth: 3 });
  const problems = ext.impactProblems(result);
  if (problems.length > 0) throw new Error(`unexpected leindex/impact answer: ${problems.slice(0, 3).join('; ')}`);
  if (result.reached.length === 0) {
    void vscode.window.showInformationMessage(`LeIndex: nothing reaches \`${result.root.symbol}\` within ${result.depth} hops`);
    return;
  }
  type Item = vscode.QuickPickItem & { target?: { path: string; line: number } };
  const picks: Item[] = impactItems(result).map((i) =>
    i.separator
      ? { label: i.label, kind: vscode.QuickPickItemKind.Separator }
      : { label: i.label, description: i.description, detail: i.detail, target: i.target },
  );
  const pick = await vscode.window.showQuickPick(picks, {
    title: impactTitle(result),
    matchOnDescription: true,
    matchOnDetail: true,
    placeHolder: 'Go to an affected symbol',
  });
  if (pick?.target) await openAt(pick.target.path, pick.target.line);
}

/** `leindex.deepAnalyze`: ask a question, show the answer as Markdown with links, offer to copy it. */
async function deepAnalyze(here: boolean): Promise<void> {
  const c = running();
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).slice(0, 200) : '';
  const query = await vscode.window.showInputBox({
    title: 'LeIndex deep analysis',
    prompt: `A question or keywords; the answer is cut to ${settings.budgetTokens} tokens (setting leindex.budgetTokens)`,
    value: selected,
    validateInput: (v) => (v.trim() === '' ? 'Type a question or some identifiers' : undefined),
  });
  if (!query) return;
  const params: ext.DeepAnalyzeParams = { query, budgetTokens: settings.budgetTokens };
  if (here && editor && editor.document.uri.scheme === 'file') {
    const p = editor.selection.active;
    params.position = { textDocument: { uri: editor.document.uri.toString() }, position: { line: p.line, character: p.character } };
  }
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `LeIndex: analyzing “${query}”` },
    () => c.sendRequest(ext.deepAnalyze, params),
  );
  const problems = ext.deepAnalyzeProblems(answer);
  if (problems.length > 0) throw new Error(`unexpected leindex/deepAnalyze answer: ${problems.slice(0, 3).join('; ')}`);
  const root = serverRoot();
  if (!root) throw new Error('no workspace folder');
  analysisCount += 1;
  const slug = query.replace(/[^\w]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'analysis';
  const uri = vscode.Uri.from({ scheme: ANALYSIS_SCHEME, path: `/${analysisCount}/${slug}.md` });
  analyses.set(uri.toString(), { view: analysisDocument(answer, fileLink(root)), markdown: answer.markdown });
  lastAnalysis = uri.toString();
  analysisChanged.fire(uri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (e) {
    log.warn(`Markdown preview unavailable (${(e as Error).message}); showing the source`);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: false });
  }
  void vscode.window
    .showInformationMessage(`LeIndex: ${answer.entries.length} symbols, ${answer.usedTokens} of ${answer.budgetTokens} tokens`, 'Copy as LLM context')
    .then((pick) => pick && copyAnalysis(uri));
}

/** Copies an analysis's Markdown (the server's, without the links added for display) to the clipboard. */
async function copyAnalysis(arg: unknown): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const key =
    arg instanceof vscode.Uri ? arg.toString() : active?.scheme === ANALYSIS_SCHEME ? active.toString() : lastAnalysis;
  const entry = key ? analyses.get(key) : undefined;
  if (!entry) throw new Error('no deep analysis yet: run LeIndex: Deep Analysis first');
  await vscode.env.clipboard.writeText(entry.markdown);
  void vscode.window.setStatusBarMessage('LeIndex: analysis copied as LLM context', 3000);
}

function showStatusBar(state: Parameters<typeof statusBarView>[0]): void {
  const view = statusBarView(state, Date.now());
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  statusItem.show();
}

async function fetchStatus(): Promise<ext.StatusResult | undefined> {
  const c = client;
  if (!c?.isRunning()) return undefined;
  try {
    const st = await c.sendRequest(ext.status);
    const problems = ext.statusProblems(st);
    if (problems.length > 0) {
      showStatusBar({ kind: 'error', message: `unexpected leindex/status answer: ${problems[0]}` });
      return undefined;
    }
    lastStatus = st;
    showStatusBar({ kind: 'ready', status: st });
    return st;
  } catch (e) {
    if (e instanceof ResponseError && e.code === ext.REQUEST_FAILED) showStatusBar({ kind: 'indexing' });
    else showStatusBar({ kind: 'error', message: (e as Error).message });
    return undefined;
  }
}

async function pollStatus(): Promise<void> {
  if (vscode.window.state.focused || !lastStatus) await fetchStatus();
}

/** `leindex.status`: the status details in a quick pick, with the actions that help when something is off. */
async function showStatus(): Promise<void> {
  const st = await fetchStatus();
  type Item = vscode.QuickPickItem & { action?: () => unknown };
  const items: Item[] = st
    ? statusDetails(st, Date.now()).map((r) => ({ label: r.label, detail: r.detail || undefined }))
    : [{ label: server ? 'No index yet (the first index is running, or the server stopped)' : 'No server binary found' }];
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(debug-restart) Restart server', action: () => restart() },
    { label: '$(output) Show log', action: () => log.show() },
    { label: '$(gear) Settings', action: () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:leindex.leindex') },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: server ? `LeIndex — ${server.version} (${server.path})` : 'LeIndex',
  });
  await pick?.action?.();
}

/** Offers `leindex mcp --project <folders>` to VS Code's agent: deep analysis on the same index. */
function registerMcp(context: vscode.ExtensionContext): void {
  if (typeof vscode.lm?.registerMcpServerDefinitionProvider !== 'function') {
    log.info('this VS Code has no MCP server API; the bridge is not registered');
    return;
  }
  context.subscriptions.push(
    vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
      onDidChangeMcpServerDefinitions: mcpChanged.event,
      provideMcpServerDefinitions: () => {
        const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
        if (!settings.mcpEnabled || folders.length === 0) return [];
        const bridge = findBridge(server, nodeDeps(undefined, ctx.extensionPath));
        if (!bridge) {
          log.info('no `leindex` or `leindex-mcp` next to the server or on PATH; the MCP bridge is not offered');
          return [];
        }
        const def = new vscode.McpStdioServerDefinition(
          'LeIndex',
          bridge.command,
          [...bridge.args, ...bridgeArgs(folders.map((f) => f.uri.fsPath))],
          { LEINDEX_LOG: settings.logLevel },
          server?.version.split(' ')[1],
        );
        def.cwd = folders[0].uri;
        return [def];
      },
    }),
  );
}
