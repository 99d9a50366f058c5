-- leindex-lsp driven by Neovim's built-in LSP client (0.7.2, headless), on a scratch copy of tokio:
-- attach, wait for the index, code lenses resolved through codeLens/resolve, real buffer edits sent as
-- incremental didChange (UTF-16 columns after an astral-plane character), leindex/deepAnalyze.
--
--   LEINDEX_LSP_BIN=... LEINDEX_PROJECT=... nvim --headless -u NONE -c 'luafile tests/lsp/nvim_client.lua'
-- Exits 0 and prints `OK {...}` on success; exits 1 with `FAIL: ...` on stderr otherwise.

local bin = os.getenv('LEINDEX_LSP_BIN')
local root = os.getenv('LEINDEX_PROJECT')
local file = root .. '/src/sync/barrier.rs'

local function fail(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local function request(buf, client_id, method, params, timeout)
  local res = vim.lsp.buf_request_sync(buf, method, params, timeout or 10000)
  local r = res and res[client_id]
  if not r then
    return nil, 'no response to ' .. method
  end
  return r.result, r.error
end

local function main()
  local client_id = vim.lsp.start_client({
    name = 'leindex',
    cmd = { bin },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'tokio' } },
  })
  if not client_id then
    fail('start_client returned nil')
  end

  -- Requests before the initialize response would be refused by the client itself.
  local ready = vim.wait(10000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.server_capabilities ~= nil and next(c.server_capabilities) ~= nil
  end, 20)
  if not ready then
    fail('no initialize response')
  end

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)

  local started = vim.loop.hrtime()
  local indexed = vim.wait(60000, function()
    local st = request(buf, client_id, 'leindex/status', nil, 2000)
    return st ~= nil and st.generation ~= nil and st.generation ~= vim.NIL
  end, 100)
  if not indexed then
    fail('no index after 60 s')
  end
  local index_ms = (vim.loop.hrtime() - started) / 1e6

  -- Code lenses, resolved by Neovim through codeLens/resolve.
  vim.lsp.codelens.refresh()
  local titled = vim.wait(10000, function()
    local lenses = vim.lsp.codelens.get(buf) or {}
    for _, l in ipairs(lenses) do
      if l.command and l.command.title and l.command.title:match('^%d+ references? · %d+ callers?') then
        return true
      end
    end
    return false
  end, 50)
  if not titled then
    fail('no resolved code lens: ' .. vim.inspect(vim.lsp.codelens.get(buf)))
  end

  -- Real buffer edits: a line with an astral-plane character, then a rename of the name after it
  -- (Neovim sends its UTF-16 column; a wrong conversion garbles the name).
  local n = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, n, n, false, { '', '/* é𝄞 */ pub fn draft_after_astral() -> u32 { 7 }' })
  local line = vim.api.nvim_buf_get_lines(buf, n + 1, n + 2, false)[1]
  local s = line:find('draft_after_astral', 1, true)
  vim.api.nvim_buf_set_text(buf, n + 1, s - 1, n + 1, s - 1 + #'draft', { 'typed_in_neovim' })
  local edited = vim.loop.hrtime()
  local seen = vim.wait(10000, function()
    local found = request(buf, client_id, 'workspace/symbol', { query = 'typed_in_neovim_after_astral' }, 2000)
    if not found then
      return false
    end
    for _, sym in ipairs(found) do
      if sym.name == 'typed_in_neovim_after_astral' then
        return true
      end
    end
    return false
  end, 50)
  if not seen then
    fail('unsaved edit never indexed: ' .. vim.inspect(vim.api.nvim_buf_get_lines(buf, n, n + 2, false)))
  end
  local edit_ms = (vim.loop.hrtime() - edited) / 1e6

  local answer, err = request(buf, client_id, 'leindex/deepAnalyze', { query = 'how does a barrier wait for all tasks', budgetTokens = 800 })
  if err or not answer or answer.usedTokens > 800 or #answer.entries == 0 then
    fail('deepAnalyze: ' .. vim.inspect(err or answer))
  end
  local _, bad = request(buf, client_id, 'leindex/deepAnalyze', { query = '' })
  if not bad or bad.code ~= -32602 then
    fail('empty query should be InvalidParams: ' .. vim.inspect(bad))
  end

  io.stdout:write(string.format('OK {"indexMs": %d, "editToIndexMs": %d}\n', index_ms, edit_ms))
  vim.lsp.stop_client(client_id)
  vim.cmd('qall!')
end

-- A Lua error must fail the run, not leave a headless Neovim waiting forever.
local ok, e = pcall(main)
if not ok then
  fail(tostring(e))
end
