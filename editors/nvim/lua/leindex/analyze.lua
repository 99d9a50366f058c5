-- :LeIndexAnalyze and :LeIndexStatus: deep analysis answers in a scratch Markdown buffer (the server's
-- Markdown verbatim, so yanking the buffer copies exactly the LLM context; <CR> or gF on a file heading or
-- a symbol line opens that `path:line`; the window's location list holds every entry), and the index
-- status in a scratch buffer.
local util = require('leindex.util')

local M = {}

local count = 0

local function leindex()
  return require('leindex')
end

local function scratch(name, lines, filetype)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = filetype
  return buf
end

local function client_here()
  local buf = vim.api.nvim_get_current_buf()
  return util.clients(buf)[1] or util.clients()[1], buf
end

--- Where the cursor line of an analysis buffer points: project-relative path and 1-based line, or nil.
--- The file is the nearest `## path` heading above (outside code fences); the line the nearest `L123`
--- at or above the cursor in that file's section (the symbol's heading or list item), else 1.
function M.location_at(lines, lnum)
  local fence, file, file_at = nil, nil, 0
  for i = 1, lnum do
    local l = lines[i]
    local f = l:match('^(```+)') or l:match('^(~~~+)')
    if f then
      if not fence then
        fence = f
      elseif l:sub(1, #fence) == fence then
        fence = nil
      end
    elseif not fence then
      local h = l:match('^## (%S.*)$')
      if h then
        file, file_at = vim.trim(h), i
      end
    end
  end
  if not file then
    return nil
  end
  for i = lnum, file_at + 1, -1 do
    local start = lines[i]:match('^[-#][^`]*`[^`]+` %(%a[%w ]*, L(%d+)')
    if start then
      return file, tonumber(start)
    end
  end
  return file, 1
end

--- Opens the `path:line` under the cursor of an analysis buffer in the previous window.
function M.open_under_cursor()
  local buf = vim.api.nvim_get_current_buf()
  local root = vim.b[buf].leindex_root
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local file, line = M.location_at(lines, vim.api.nvim_win_get_cursor(0)[1])
  if not file or not root then
    return vim.notify('LeIndex: no file here (put the cursor under a `## path` heading)', vim.log.levels.WARN)
  end
  vim.cmd('wincmd p')
  if vim.api.nvim_get_current_buf() == buf then
    vim.cmd('aboveleft new')
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/' .. file))
  vim.api.nvim_win_set_cursor(0, { math.min(line, vim.api.nvim_buf_line_count(0)), 0 })
end

--- Shows a deep-analysis answer; returns the buffer.
function M.show(answer, root)
  count = count + 1
  local lines = vim.split(answer.markdown, '\n', { plain = true })
  local buf = scratch(string.format('leindex://analysis/%d', count), lines, 'markdown')
  vim.b[buf].leindex_root = root
  vim.b[buf].leindex_answer = {
    query = answer.query,
    generation = answer.generation,
    usedTokens = answer.usedTokens,
    budgetTokens = answer.budgetTokens,
  }
  -- gF resolves the project-relative paths too.
  vim.bo[buf].path = root .. ',,'
  vim.keymap.set('n', '<CR>', M.open_under_cursor, { buffer = buf, desc = 'LeIndex: open path:line' })
  local items = {}
  for _, e in ipairs(answer.entries or {}) do
    table.insert(items, {
      filename = root .. '/' .. e.path,
      lnum = e.lineStart,
      col = 1,
      text = string.format('%s (%s, %s) — %s', e.symbol, e.kind, e.role, e.reason),
    })
  end
  vim.fn.setloclist(0, {}, ' ', { title = 'LeIndex: ' .. answer.query, items = items })
  vim.api.nvim_echo({
    {
      string.format(
        'LeIndex: %d symbols, %d of %d tokens, generation %d (yank the buffer for LLM context; <CR> opens path:line; :lopen lists them)',
        #items,
        answer.usedTokens,
        answer.budgetTokens,
        answer.generation
      ),
    },
  }, false, {})
  return buf
end

--- Runs `leindex/deepAnalyze` for `query` (opts.here: with the cursor's symbol; opts.budget: tokens).
function M.run(query, opts)
  local client, buf = client_here()
  if not client then
    return vim.notify('LeIndex: no LeIndex server running (open a file of the project first)', vim.log.levels.WARN)
  end
  if vim.trim(query or '') == '' then
    return vim.notify('LeIndex: :LeIndexAnalyze needs a question or keywords', vim.log.levels.WARN)
  end
  local params = { query = query, budgetTokens = opts.budget or leindex().config.budget }
  if opts.here and vim.lsp.buf_is_attached(buf, client.id) then
    local pos = vim.api.nvim_win_get_cursor(0)
    params.position = {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      position = { line = pos[1] - 1, character = vim.str_utfindex(vim.api.nvim_get_current_line(), pos[2]) },
    }
  end
  util.request(client, 'leindex/deepAnalyze', params, function(err, answer)
    if err or not answer then
      local msg = err and err.message or 'no answer'
      if err and err.code == -32803 then
        msg = 'not ready yet: ' .. msg
      end
      return vim.notify('LeIndex: deep analysis failed: ' .. msg, vim.log.levels.ERROR)
    end
    M.show(answer, client.config.root_dir)
  end, buf)
end

local function mb(bytes)
  return bytes and bytes ~= vim.NIL and string.format('%.1f MB', bytes / 1048576) or '?'
end

local function ago(unix_ms)
  if not unix_ms or unix_ms == vim.NIL then
    return 'never'
  end
  local s = math.max(0, math.floor(os.time() - unix_ms / 1000))
  return s < 60 and (s .. ' s ago') or s < 3600 and (math.floor(s / 60) .. ' min ago') or (math.floor(s / 3600) .. ' h ago')
end

local function val(v)
  return (v == nil or v == vim.NIL) and nil or v
end

--- The status answer as lines (also used by :checkhealth).
function M.status_lines(st)
  local w = val(st.writer) or {}
  local writer = val(w.pid) and string.format('%s pid %d%s', val(w.role) or 'writer', w.pid, st.thisServerIsWriter and ' (this server)' or '')
    or 'none'
  local lines = {
    string.format('generation %s (published %s)', tostring(val(st.generation) or 'none'), ago(val(st.publishedUnixMs))),
    string.format('%d files · %d symbols · %d edges', st.files or 0, st.symbols or 0, st.edges or 0),
    string.format('writer: %s · indexing: %s · pending edits: %s', writer, w.indexing and 'yes' or 'no', w.pendingEdits and 'yes' or 'no'),
    string.format(
      'working tree: %d added · %d changed · %d removed since indexing',
      st.staleAdded or 0,
      st.staleChanged or 0,
      st.staleRemoved or 0
    ),
    string.format('index: %s (snapshot %s) in %s', mb(val(st.indexBytes)), mb(val(st.snapshotBytes)), tostring(st.indexDir)),
  }
  if val(st.serverPid) then
    table.insert(lines, string.format('server pid %d · RSS %s · %d open documents', st.serverPid, mb(val(st.rssBytes)), st.openDocuments or 0))
  end
  for _, p in ipairs({ { 'problem', st.problem }, { 'last writer error', w.lastError }, { 'watcher', w.watchProblem } }) do
    if val(p[2]) then
      table.insert(lines, p[1] .. ': ' .. p[2])
    end
  end
  return lines
end

--- `:LeIndexStatus`.
function M.status()
  local client = client_here()
  if not client then
    return vim.notify('LeIndex: no LeIndex server running (:checkhealth leindex)', vim.log.levels.WARN)
  end
  util.request(client, 'leindex/status', nil, function(err, st)
    if err or not st then
      local msg = err and err.message or 'no answer'
      return vim.notify('LeIndex: status: ' .. (err and err.code == -32803 and ('indexing… ' .. msg) or msg), vim.log.levels.WARN)
    end
    leindex().last_status[client.id] = st
    local lines = { '# LeIndex status: ' .. tostring(client.config.root_dir), '' }
    for _, l in ipairs(M.status_lines(st)) do
      table.insert(lines, '- ' .. l)
    end
    scratch('leindex://status', lines, 'markdown')
  end)
end

return M
