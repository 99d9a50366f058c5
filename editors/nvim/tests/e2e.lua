-- End-to-end test of the Neovim plugin with the real LeIndex server on a real corpus, in headless Neovim
-- (the Debian 0.7.2 in CI): setup, attach, lenses appear and resolve (refreshed by the server's
-- workspace/codeLens/refresh, not by the test), the lens command fills the quickfix list with callers,
-- :LeIndexImpact fills it with the impact set, :LeIndexAnalyze fills a Markdown buffer whose <CR> opens
-- path:line, :LeIndexStatus, :checkhealth leindex; plus the binary lookup and root detection.
--
--   LEINDEX_SERVER_PATH=.../leindex LEINDEX_PROJECT=/tmp/copy-of-tokio \
--     timeout 300 nvim --headless -u NONE -c 'luafile editors/nvim/tests/e2e.lua'
--
-- Run from the repository root. LEINDEX_PROJECT must be a scratch copy (the server writes `.leindex/`).
-- Prints one `nvim plugin: ok: ...` line and exits 0, or `FAIL: ...` on stderr and exits 1.
local bin = os.getenv('LEINDEX_SERVER_PATH')
local root = os.getenv('LEINDEX_PROJECT')
local plugin = vim.fn.fnamemodify('editors/nvim', ':p'):gsub('/$', '')

local function fail(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local function wait(what, ms, fn)
  local t0 = vim.loop.hrtime()
  if not vim.wait(ms, fn, 20) then
    error('timed out after ' .. ms .. ' ms waiting for ' .. what, 2)
  end
  return (vim.loop.hrtime() - t0) / 1e6
end

local function buffer_named(pattern)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):match(pattern) then
      return b
    end
  end
end

local function main()
  check(bin and root, 'set LEINDEX_SERVER_PATH and LEINDEX_PROJECT')
  check(vim.fn.isdirectory(plugin .. '/lua/leindex') == 1, 'run from the repository root')
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd('filetype on')
  local util = require('leindex.util')
  local summary = {}

  -- Startup (what loadplugins does; -u NONE skips it): the commands exist before any setup(), and the
  -- config that Neovim 0.11+'s vim.lsp.enable('leindex') reads from lsp/leindex.lua starts `leindex lsp`.
  vim.cmd('runtime! plugin/leindex.lua')
  for _, name in ipairs({ 'LeIndexAnalyze', 'LeIndexStatus', 'LeIndexCallers', 'LeIndexImpact', 'LeIndexLensRefresh' }) do
    check(vim.fn.exists(':' .. name) == 2, ':' .. name .. ' is not defined without setup()')
  end
  local lsp_files = vim.api.nvim_get_runtime_file('lsp/leindex.lua', false)
  check(#lsp_files == 1, 'lsp/leindex.lua not on the runtime path')
  local enable_cfg = dofile(lsp_files[1])
  check(enable_cfg.cmd[1] == vim.fn.exepath(bin) and enable_cfg.cmd[2] == 'lsp', 'lsp/leindex.lua cmd: ' .. vim.inspect(enable_cfg.cmd))
  check(vim.tbl_contains(enable_cfg.filetypes, 'rust') and type(enable_cfg.root_dir) == 'function', 'lsp/leindex.lua filetypes and root_dir')
  check(enable_cfg.name == 'leindex' and enable_cfg.handlers['workspace/codeLens/refresh'], 'lsp/leindex.lua lens refresh handler')

  -- Binary lookup: a clear message for a wrong path; the real binary is identified by --version.
  local cmd, why = util.resolve_cmd('/nonexistent/leindex')
  check(cmd == nil and why:match('not an executable file'), 'bad path message: ' .. tostring(why))
  local version, verr = util.version(bin)
  check(version and version:match('^leindex[%-lsp]* %d+%.%d+%.%d+'), 'version of ' .. bin .. ': ' .. tostring(verr))
  summary.version = version

  -- Root detection: `.git` above a workspace member's Cargo.toml wins; without it the nearest marker.
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp .. '/repo/.git', 'p')
  vim.fn.mkdir(tmp .. '/repo/member/src', 'p')
  vim.fn.writefile({}, tmp .. '/repo/member/Cargo.toml')
  local markers = require('leindex').config.root_markers
  check(util.find_root(tmp .. '/repo/member/src/lib.rs', markers) == tmp .. '/repo', 'root with .git')
  vim.fn.delete(tmp .. '/repo/.git', 'rf')
  check(util.find_root(tmp .. '/repo/member/src/lib.rs', markers) == tmp .. '/repo/member', 'root by nearest marker')
  vim.fn.delete(tmp, 'rf')

  local leindex = require('leindex')
  leindex.setup({ budget = 900, open_quickfix = false, lenses = { complexity = true } })
  check(leindex.cmd and leindex.cmd[1] == vim.fn.exepath(bin), 'cmd from LEINDEX_SERVER_PATH: ' .. vim.inspect(leindex.cmd))
  local expected_api = (vim.lsp.config and util.has('0.11')) and 'vim.lsp.enable' or vim.lsp.start and 'vim.lsp.start' or 'vim.lsp.start_client'
  check(leindex.api == expected_api, 'client API ' .. tostring(leindex.api) .. ', expected ' .. expected_api)
  summary.api = leindex.api

  -- Opening a Rust file starts the server on the project root and attaches it.
  local file = root .. '/src/runtime/scheduler/multi_thread/worker.rs'
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'rust', 'filetype ' .. vim.bo[buf].filetype)
  wait('the client to attach', 10000, function()
    return #util.clients(buf) == 1
  end)
  local client = util.clients(buf)[1]
  check(client.config.root_dir == root, 'root_dir ' .. tostring(client.config.root_dir))
  check(vim.deep_equal(client.config.init_options, leindex.server_settings()), 'init_options ' .. vim.inspect(client.config.init_options))
  check(client.config.init_options.budgetTokens == 900, 'budget reaches the server settings')

  summary.indexMs = wait('the first index', 120000, function()
    local st = util.request_sync(client, 'leindex/status', nil, 2000, buf)
    return st ~= nil and type(st.generation) == 'number'
  end)

  -- Lenses: no manual refresh here — the plugin refreshes on the server's workspace/codeLens/refresh
  -- (sent after the first generation) and resolves them through Neovim's codelens module.
  local steal
  summary.lensMs = wait('resolved lenses', 20000, function()
    for _, l in ipairs(vim.lsp.codelens.get(buf) or {}) do
      if l.command and l.command.arguments and l.command.arguments[3] == 'Core::steal_work' then
        steal = l
      end
    end
    return steal ~= nil
  end)
  check(leindex.server_lens_refreshes >= 1, 'the lenses came after a workspace/codeLens/refresh from the server')
  check(steal.command.title:match('%d+ references? · %d+ callers?') or steal.command.title:match('complexity %d+'), 'lens title ' .. steal.command.title)
  local shown = false
  for _, ns in pairs(vim.api.nvim_get_namespaces()) do
    local marks = vim.api.nvim_buf_get_extmarks(buf, ns, { steal.range.start.line, 0 }, { steal.range.start.line, -1 }, { details = true })
    for _, m in ipairs(marks) do
      for _, chunk in ipairs((m[4] or {}).virt_text or {}) do
        shown = shown or chunk[1] == steal.command.title
      end
    end
  end
  check(shown, 'the lens title is displayed as virtual text on its line')
  local lens_count = #vim.lsp.codelens.get(buf)
  check(lens_count > 20, 'lenses in worker.rs: ' .. lens_count)

  -- The lens command, run the way a user runs it (cursor on the lens line, vim.lsp.codelens.run()).
  local callers_lens
  for _, l in ipairs(vim.lsp.codelens.get(buf)) do
    if l.command and l.command.command == 'leindex.showCallers' and l.command.arguments[3] == 'Core::steal_work' then
      callers_lens = l
    end
  end
  check(callers_lens, 'a leindex.showCallers lens on Core::steal_work')
  vim.api.nvim_win_set_cursor(0, { callers_lens.range.start.line + 1, 0 })
  local on_line = 0
  for _, l in ipairs(vim.lsp.codelens.get(buf)) do
    if l.range.start.line == callers_lens.range.start.line then
      on_line = on_line + 1
    end
  end
  if on_line > 1 then
    -- Two lenses on the line (callers and impact): Neovim asks which one through vim.ui.select.
    vim.ui.select = function(items, _, choice)
      for i, item in ipairs(items) do
        if item.lens.command.command == 'leindex.showCallers' then
          return choice(item, i)
        end
      end
    end
  end
  vim.lsp.codelens.run()
  wait('the callers in the quickfix list', 10000, function()
    return vim.fn.getqflist({ title = 1 }).title == 'LeIndex: callers of Core::steal_work'
  end)
  local qf = vim.fn.getqflist()
  check(#qf >= 1, 'callers of Core::steal_work in the quickfix list')
  local found_run = false
  for _, item in ipairs(qf) do
    check(vim.fn.filereadable(vim.api.nvim_buf_get_name(item.bufnr)) == 1, 'quickfix file exists')
    found_run = found_run or item.text:match('^Context::run calls Core::steal_work') ~= nil
  end
  check(found_run, 'Context::run (which calls steal_work) is listed: ' .. vim.inspect(qf))
  summary.callers = #qf

  -- :LeIndexImpact on the symbol under the cursor: the quickfix list holds exactly what leindex/impact reaches.
  local line = vim.api.nvim_buf_get_lines(buf, callers_lens.range.start.line, callers_lens.range.start.line + 1, false)[1]
  vim.api.nvim_win_set_cursor(0, { callers_lens.range.start.line + 1, (line:find('steal_work', 1, true) or 1) - 1 })
  vim.cmd('LeIndexImpact')
  wait('the impact in the quickfix list', 10000, function()
    return vim.fn.getqflist({ title = 1 }).title:match('^LeIndex: impact of Core::steal_work') ~= nil
  end)
  local direct = util.request_sync(client, 'leindex/impact', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = callers_lens.range.start.line, character = 0 },
    depth = 3,
  }, 5000, buf)
  local impact_qf = vim.fn.getqflist()
  check(direct and #impact_qf == #direct.reached and #impact_qf >= 1, string.format('impact items %d vs %d', #impact_qf, direct and #direct.reached or -1))
  check(impact_qf[1].text:match('^%[1%] '), 'nearest first: ' .. impact_qf[1].text)
  summary.impact = #impact_qf

  -- :LeIndexAnalyze: a Markdown scratch buffer with the server's answer, within the budget.
  vim.cmd('LeIndexAnalyze how are tasks stolen from other queues')
  local abuf
  summary.analyzeMs = wait('the analysis buffer', 20000, function()
    abuf = buffer_named('^leindex://analysis/')
    return abuf ~= nil
  end)
  local alines = vim.api.nvim_buf_get_lines(abuf, 0, -1, false)
  check(alines[1]:match('^# LeIndex deep analysis: how are tasks stolen'), 'analysis header: ' .. alines[1])
  check(vim.bo[abuf].filetype == 'markdown', 'markdown buffer')
  local answer = vim.b[abuf].leindex_answer
  check(answer.usedTokens <= 900 and answer.budgetTokens == 900, 'budget from setup: ' .. vim.inspect(answer))
  local loc = vim.fn.getloclist(vim.fn.bufwinid(abuf))
  check(#loc >= 3, 'analysis entries in the location list: ' .. #loc)
  -- <CR> on a symbol heading opens that file at the symbol's first line.
  local target_line, heading
  for i, l in ipairs(alines) do
    local s = l:match('^### `[^`]+` %(%a+, L(%d+)')
    if s then
      target_line, heading = i, tonumber(s)
      break
    end
  end
  check(target_line, 'a symbol heading in the analysis')
  local rel = require('leindex.analyze').location_at(alines, target_line)
  vim.api.nvim_set_current_win(vim.fn.bufwinid(abuf))
  vim.api.nvim_win_set_cursor(0, { target_line, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  check(vim.api.nvim_buf_get_name(0) == root .. '/' .. rel, 'opened ' .. vim.api.nvim_buf_get_name(0) .. ', expected ' .. rel)
  check(vim.api.nvim_win_get_cursor(0)[1] == heading, 'at line ' .. heading)

  -- :LeIndexStatus.
  vim.cmd('LeIndexStatus')
  local sbuf
  wait('the status buffer', 10000, function()
    sbuf = buffer_named('^leindex://status')
    return sbuf ~= nil
  end)
  local stext = table.concat(vim.api.nvim_buf_get_lines(sbuf, 0, -1, false), '\n')
  check(stext:match('%- generation %d+') and stext:match('writer: lsp pid %d+ %(this server%)'), 'status buffer:\n' .. stext)
  local sl = vim.api.nvim_buf_call(buf, leindex.statusline)
  check(sl:match('^LeIndex g%d+'), 'statusline of the source buffer: ' .. sl)

  -- :checkhealth leindex.
  vim.cmd('checkhealth leindex')
  local htext = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(not htext:match('ERROR'), 'checkhealth reports an error:\n' .. htext)
  check(htext:match('OK:? setup%(%) called'), 'checkhealth: setup\n' .. htext)
  check(htext:match('OK:? version: ' .. version:gsub('%p', '%%%0')), 'checkhealth: version\n' .. htext)
  check(htext:match('OK:? server %d+ on ' .. root:gsub('%p', '%%%0') .. ': generation %d+'), 'checkhealth: index state\n' .. htext)

  -- The help file is valid (helptags finds its tags) and :help opens it.
  vim.cmd('helptags ' .. vim.fn.fnameescape(plugin .. '/doc'))
  vim.cmd('help :LeIndexAnalyze')
  check(vim.api.nvim_buf_get_name(0):match('/doc/leindex%.txt$'), ':help :LeIndexAnalyze opens leindex.txt')
  check(vim.api.nvim_get_current_line():match('%*:LeIndexAnalyze%*'), 'at its tag: ' .. vim.api.nvim_get_current_line())
  vim.cmd('close')

  -- Settings reach the server: there are two lenses per symbol (callers, impact); turning complexity and
  -- impact off drops the impact lens after the server's refresh.
  local commands = {}
  for _, l in ipairs(vim.lsp.codelens.get(buf)) do
    if l.command and l.command.arguments and l.command.arguments[3] == 'Core::steal_work' then
      commands[l.command.command] = true
    end
  end
  check(commands['leindex.showCallers'] and commands['leindex.showImpact'],
    'a callers and an impact lens on Core::steal_work: ' .. vim.inspect(commands))
  vim.cmd('buffer ' .. buf)
  leindex.configure({ lenses = { complexity = false, impact = false } })
  wait('the impact lens to go after the settings change', 10000, function()
    local still = false
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      still = still or (l.command and l.command.command == 'leindex.showImpact')
    end
    return not still and #vim.lsp.codelens.get(buf) > 0
  end)
  summary.settings = 'lenses per kind'

  -- On a line of its own: headless Neovim also prints messages (:echo) to stdout.
  io.stdout:write('\nnvim plugin: ok: ' .. vim.fn.json_encode(summary) .. '\n')
  for _, c in ipairs(util.clients()) do
    c.stop()
  end
  vim.wait(3000, function()
    return #util.clients() == 0
  end, 50)
  vim.cmd('qall!')
end

-- A Lua error must fail the run, not leave a headless Neovim waiting forever.
local ok, e = xpcall(main, debug.traceback)
if not ok then
  fail(tostring(e))
end
