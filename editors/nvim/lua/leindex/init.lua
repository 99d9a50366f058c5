-- LeIndex for Neovim: `require("leindex").setup{ cmd = ..., budget = ..., lenses = ... }` starts the
-- LeIndex LSP server for the languages it indexes (with whichever client API this Neovim has), shows its
-- workspace-wide code lenses and keeps them fresh, implements the lens commands (callers and impact into
-- the quickfix list) and defines :LeIndexAnalyze, :LeIndexStatus, :LeIndexCallers, :LeIndexImpact.
local util = require('leindex.util')

local M = {}

--- The languages the server indexes (server/engine `Language`), as Neovim filetypes.
M.filetypes = { 'rust', 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'java', 'c', 'cpp', 'cs', 'ruby' }

local defaults = {
  -- Command list, or a binary path; nil: $LEINDEX_SERVER_PATH, then `leindex` / `leindex-lsp` on PATH.
  cmd = nil,
  filetypes = M.filetypes,
  -- Marker groups in priority order: the nearest directory with a marker of the first group found wins.
  root_markers = {
    { '.leindex', '.git', '.hg', '.jj' },
    { 'Cargo.toml', 'package.json', 'pyproject.toml', 'setup.py', 'go.mod', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'compile_commands.json', 'CMakeLists.txt', 'Makefile' },
  },
  -- Default token budget of :LeIndexAnalyze (o200k_base tokens of Markdown).
  budget = 4000,
  -- Which parts of the lenses the server shows; `false` turns code lenses off entirely.
  lenses = { references = true, callers = true, complexity = true, impact = true },
  -- Events that refresh the lenses of a buffer (Neovim < 0.12; newer ones refresh on their own).
  lens_events = { 'BufEnter', 'InsertLeave', 'BufWritePost' },
  -- Hops followed by the impact command.
  impact_depth = 3,
  -- Open the quickfix window after the callers / impact commands fill it.
  open_quickfix = true,
  -- The server's log filter (LEINDEX_LOG); nil keeps the environment's.
  log_level = nil,
  -- Called as on_attach(client, bufnr) after the plugin's own attach work.
  on_attach = nil,
}

M.config = vim.deepcopy(defaults)
M.did_setup = false
--- How the client was started: 'vim.lsp.enable', 'vim.lsp.start' or 'vim.lsp.start_client'.
M.api = nil
--- The resolved server command, or nil with M.cmd_error saying why.
M.cmd = nil
M.cmd_error = nil
--- The last `leindex/status` answer per client id (for statusline()).
M.last_status = {}
--- How many workspace/codeLens/refresh requests the servers sent (the tests check lenses come from them).
M.server_lens_refreshes = 0

local lens_parts = { 'references', 'callers', 'complexity', 'impact' }

--- The server's settings object (initializationOptions and didChangeConfiguration's `settings.leindex`).
function M.server_settings(config)
  config = config or M.config
  local lenses = {}
  for _, part in ipairs(lens_parts) do
    lenses[part] = config.lenses ~= false and (config.lenses or {})[part] ~= false
  end
  return { lenses = lenses, budgetTokens = config.budget }
end

local function lenses_on()
  return M.config.lenses ~= false
end

-- Code lenses ---------------------------------------------------------------------------------------

--- Asks `client` for the lenses of `bufnr` and hands them to Neovim's codelens module, which displays
--- them and resolves them through codeLens/resolve. (vim.lsp.codelens.refresh() only serves the current
--- buffer on old Neovims; a server refresh concerns every visible one.)
function M.refresh_lenses(bufnr, client)
  if not lenses_on() or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  for _, c in ipairs(client and { client } or util.clients(bufnr)) do
    util.request(c, 'textDocument/codeLens', { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }, function(err, result, ctx)
      if err then
        -- RequestFailed while the first index runs: the server refreshes us when it is ready.
        return
      end
      ctx = ctx or { bufnr = bufnr, client_id = c.id }
      ctx.bufnr = ctx.bufnr or bufnr
      vim.lsp.codelens.on_codelens(nil, result, ctx)
    end, bufnr)
  end
end

local function visible_buffers(client_id)
  local bufs = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local buf = vim.api.nvim_win_get_buf(win)
    if vim.lsp.buf_is_attached(buf, client_id) then
      bufs[buf] = true
    end
  end
  return bufs
end

--- `workspace/codeLens/refresh`: the server published a new generation (or new settings).
local function on_lens_refresh(_, _, ctx)
  M.server_lens_refreshes = M.server_lens_refreshes + 1
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    for buf in pairs(visible_buffers(ctx.client_id)) do
      M.refresh_lenses(buf, client)
    end
  end
  return vim.NIL
end

local function setup_lenses(client, bufnr)
  if not lenses_on() then
    return
  end
  if vim.lsp.codelens.enable and util.has('0.12') then
    vim.lsp.codelens.enable(true, { bufnr = bufnr })
    return
  end
  local group = vim.api.nvim_create_augroup('leindex_lens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd(M.config.lens_events, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.refresh_lenses(bufnr)
    end,
  })
  M.refresh_lenses(bufnr, client)
end

-- Lens commands -------------------------------------------------------------------------------------

local function client_for(ctx_or_buf)
  local id = type(ctx_or_buf) == 'table' and ctx_or_buf.client_id
  local c = id and vim.lsp.get_client_by_id(id)
  if c then
    return c
  end
  local bufnr = type(ctx_or_buf) == 'table' and ctx_or_buf.bufnr or ctx_or_buf or 0
  return util.clients(bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr)[1]
end

local function notify(msg, level)
  vim.notify('LeIndex: ' .. msg, level or vim.log.levels.INFO)
end

local function show_error(what, err)
  local msg = type(err) == 'table' and (err.message or vim.inspect(err)) or tostring(err)
  if type(err) == 'table' and err.code == -32803 then
    msg = 'not ready yet (' .. msg .. ')'
  end
  notify(what .. ': ' .. msg, vim.log.levels.ERROR)
end

--- The lens arguments `{uri, {line, character}, name}`, or the cursor's place.
local function target(args)
  if args and args[1] and args[2] then
    return { uri = args[1], position = args[2], name = args[3] or '?' }
  end
  local pos = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_get_current_line()
  return {
    uri = vim.uri_from_bufnr(0),
    position = { line = pos[1] - 1, character = vim.str_utfindex(line, pos[2]) },
    name = vim.fn.expand('<cword>'),
  }
end

local function set_qf(title, items)
  vim.fn.setqflist({}, ' ', { title = title, items = items })
  if M.config.open_quickfix and #items > 0 then
    vim.cmd('botright copen')
  end
end

local function range_item(uri, range, text)
  return { filename = vim.uri_to_fname(uri), lnum = range.start.line + 1, col = range.start.character + 1, text = text }
end

--- Callers and references of the symbol into the quickfix list (`leindex.showCallers`).
function M.show_callers(args, ctx)
  local client = client_for(ctx)
  if not client then
    return notify('no LeIndex server attached to this buffer', vim.log.levels.WARN)
  end
  local t = target(args)
  local at = { textDocument = { uri = t.uri }, position = t.position }
  local items, seen = {}, {}
  local function add(uri, range, text)
    local key = uri .. '#' .. range.start.line
    if not seen[key] then
      seen[key] = true
      table.insert(items, range_item(uri, range, text))
    end
  end
  local function finish()
    table.sort(items, function(a, b)
      return a.filename == b.filename and a.lnum < b.lnum or a.filename < b.filename
    end)
    set_qf('LeIndex: callers of ' .. t.name, items)
    if #items == 0 then
      notify('nothing calls or references ' .. t.name)
    end
  end
  util.request(client, 'textDocument/prepareCallHierarchy', at, function(err, hier)
    if err then
      return show_error('callers', err)
    end
    local function references()
      util.request(client, 'textDocument/references', vim.tbl_extend('force', at, { context = { includeDeclaration = false } }), function(e2, refs)
        if e2 then
          return show_error('references', e2)
        end
        for _, r in ipairs(refs or {}) do
          add(r.uri, r.range, 'references ' .. t.name)
        end
        finish()
      end)
    end
    if not hier or not hier[1] then
      return references()
    end
    util.request(client, 'callHierarchy/incomingCalls', { item = hier[1] }, function(e1, calls)
      if e1 then
        return show_error('incoming calls', e1)
      end
      for _, call in ipairs(calls or {}) do
        local ranges = (call.fromRanges and #call.fromRanges > 0) and call.fromRanges or { call.from.selectionRange }
        for _, range in ipairs(ranges) do
          add(call.from.uri, range, call.from.name .. ' calls ' .. t.name .. (call.from.detail and (': ' .. call.from.detail) or ''))
        end
      end
      references()
    end)
  end)
end

--- What reaches the symbol within `impact_depth` hops into the quickfix list (`leindex.showImpact`).
function M.show_impact(args, ctx)
  local client = client_for(ctx)
  if not client then
    return notify('no LeIndex server attached to this buffer', vim.log.levels.WARN)
  end
  local t = target(args)
  local params = { textDocument = { uri = t.uri }, position = t.position, depth = M.config.impact_depth }
  util.request(client, 'leindex/impact', params, function(err, r)
    if err or not r then
      return show_error('impact', err or 'no answer')
    end
    local root = client.config.root_dir
    local items = {}
    for _, s in ipairs(r.reached or {}) do
      table.insert(items, {
        filename = root .. '/' .. s.path,
        lnum = s.lineStart,
        col = 1,
        text = string.format('[%d] %s %s — %s %s%s', s.depth, s.kind, s.symbol, s.via, s.from, s.uncertain and ' (uncertain)' or ''),
      })
    end
    local title = string.format(
      'LeIndex: impact of %s: %d symbols within %d hops, %d files, %d tests',
      r.root and r.root.symbol or t.name,
      r.total or #items,
      r.depth or params.depth,
      #(r.files or {}),
      #(r.tests or {})
    )
    set_qf(title, items)
    if #items == 0 then
      notify('nothing reaches ' .. t.name .. ' within ' .. params.depth .. ' hops')
    end
  end)
end

vim.lsp.commands['leindex.showCallers'] = function(command, ctx)
  M.show_callers(command.arguments, ctx)
end
vim.lsp.commands['leindex.showImpact'] = function(command, ctx)
  M.show_impact(command.arguments, ctx)
end

-- Starting the server -------------------------------------------------------------------------------

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.workspace = caps.workspace or {}
  -- The server sends workspace/codeLens/refresh after every new generation; handled below.
  caps.workspace.codeLens = { refreshSupport = true }
  caps.window = caps.window or {}
  caps.window.workDoneProgress = true
  return caps
end

local function on_attach(client, bufnr)
  setup_lenses(client, bufnr)
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

--- The project root for a buffer, or nil (then the buffer is not attached).
function M.root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  -- A file under a running client's root belongs to that client, even where a nested marker would
  -- start a second server on a subdirectory of the same index.
  for _, c in ipairs(util.clients()) do
    local root = c.config.root_dir
    if root and (name:sub(1, #root + 1) == root .. '/') then
      return root
    end
  end
  return util.find_root(name, M.config.root_markers)
end

local function client_config(root)
  local cmd_env = M.config.log_level and { LEINDEX_LOG = M.config.log_level } or nil
  return {
    name = 'leindex',
    cmd = M.cmd,
    cmd_env = cmd_env,
    root_dir = root,
    workspace_folders = root and { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } } or nil,
    init_options = M.server_settings(),
    settings = { leindex = M.server_settings() },
    capabilities = capabilities(),
    handlers = { ['workspace/codeLens/refresh'] = on_lens_refresh },
    on_attach = on_attach,
  }
end

local clients_by_root = {} -- Neovim 0.7: one client per root, started with vim.lsp.start_client

--- Starts (or reuses) the client for `bufnr` and attaches it (Neovim 0.7 – 0.10 path).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not M.cmd then
    return nil
  end
  local root = M.root_dir(bufnr)
  if not root then
    return nil
  end
  if vim.lsp.start then
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(client_config(root))
    clients_by_root[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Pushes changed settings (`lenses`, `budget`) to running servers; they answer with a lens refresh.
function M.configure(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  if opts and opts.lenses == false then
    M.config.lenses = false
  end
  if M.api == 'vim.lsp.enable' then
    -- Servers started later (new roots) get the new settings from the start.
    vim.lsp.config('leindex', { init_options = M.server_settings(), settings = { leindex = M.server_settings() } })
  end
  for _, c in ipairs(util.clients()) do
    c.config.settings = { leindex = M.server_settings() }
    util.notify(c, 'workspace/didChangeConfiguration', { settings = c.config.settings })
  end
end

-- Deep analysis and status ------------------------------------------------------------------------------

--- `:LeIndexAnalyze {query}`: the answer in a scratch Markdown buffer (see leindex.analyze).
function M.analyze(query, opts)
  return require('leindex.analyze').run(query, opts or {})
end

--- `:LeIndexStatus`: the index status of the current buffer's server in a scratch buffer.
function M.status()
  return require('leindex.analyze').status()
end

--- A short statusline component: `LeIndex g12` (`+` with pending edits), or '' with no server.
function M.statusline()
  local c = util.clients(vim.api.nvim_get_current_buf())[1]
  local st = c and M.last_status[c.id]
  if not st then
    return c and 'LeIndex' or ''
  end
  return string.format('LeIndex g%s%s', tostring(st.generation), (st.writer and st.writer.pendingEdits) and '+' or '')
end

--- Defines the :LeIndex* commands (plugin/leindex.lua calls it at startup, so they exist without setup()).
function M.define_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd('LeIndexAnalyze', function(o)
    M.analyze(o.args, { here = o.bang })
  end, { nargs = '+', bang = true, desc = 'LeIndex deep analysis (! adds the symbol under the cursor)' })
  cmd('LeIndexStatus', function()
    M.status()
  end, { desc = 'LeIndex index status' })
  cmd('LeIndexCallers', function()
    M.show_callers(nil, nil)
  end, { desc = 'Callers of the symbol under the cursor into the quickfix list' })
  cmd('LeIndexImpact', function()
    M.show_impact(nil, nil)
  end, { desc = 'Impact of the symbol under the cursor into the quickfix list' })
  cmd('LeIndexLensRefresh', function()
    M.refresh_lenses(vim.api.nvim_get_current_buf())
  end, { desc = 'Refresh the LeIndex code lenses of this buffer' })
end

--- The server's configuration for Neovim 0.11+'s vim.lsp.config: what `lsp/leindex.lua` returns, so that
--- `vim.lsp.enable('leindex')` works without setup(). The command is `leindex lsp` as found by
--- util.resolve_cmd (setup{cmd}, $LEINDEX_SERVER_PATH, PATH).
function M.lsp_config()
  if not M.cmd then
    M.cmd, M.cmd_error = util.resolve_cmd(M.config.cmd)
  end
  if vim.lsp.enable and util.has('0.11') then
    M.api = 'vim.lsp.enable'
  end
  local cfg = client_config(nil)
  -- Without a binary, Neovim reports that `leindex` is not executable when a buffer would attach.
  cfg.cmd = M.cmd or { 'leindex', 'lsp' }
  cfg.root_dir = function(bufnr, on_dir)
    local root = M.root_dir(bufnr)
    if root then
      on_dir(root)
    end
  end
  -- vim.lsp.start derives the workspace folder from the root on_dir gives it.
  cfg.workspace_folders = nil
  cfg.filetypes = M.config.filetypes
  return cfg
end

--- Configures the plugin and starts the server for the supported filetypes.
function M.setup(opts)
  opts = opts or {}
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts)
  if opts.lenses == false then
    M.config.lenses = false
  end
  if opts.filetypes then
    M.config.filetypes = opts.filetypes
  end
  if opts.root_markers then
    M.config.root_markers = opts.root_markers
  end
  M.did_setup = true
  M.cmd, M.cmd_error = util.resolve_cmd(M.config.cmd)
  M.define_commands()
  if not M.cmd then
    notify(M.cmd_error .. ' (:checkhealth leindex)', vim.log.levels.WARN)
    return
  end

  if vim.lsp.config and vim.lsp.enable and util.has('0.11') then
    -- Neovim 0.11+: declare the server once; Neovim starts and attaches it per root.
    vim.lsp.config('leindex', M.lsp_config())
    vim.lsp.enable('leindex')
    return
  end

  M.api = vim.lsp.start and 'vim.lsp.start' or 'vim.lsp.start_client'
  local group = vim.api.nvim_create_augroup('leindex_attach', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  -- Buffers already open when setup runs (e.g. setup from an ftplugin or after a session load).
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
      M.attach(buf)
    end
  end
end

return M
