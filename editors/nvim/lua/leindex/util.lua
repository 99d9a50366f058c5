-- Small compatibility layer over the Neovim APIs that changed between 0.7 and 0.12 (client lookup,
-- client:request vs client.request, health reporting), plus the server binary lookup and the project
-- root detection. Kept apart so the rest of the plugin is written once for every supported Neovim.
local M = {}

local uv = vim.loop

--- Whether the running Neovim is at least `version` (e.g. '0.11').
function M.has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- The LeIndex clients, optionally only those attached to `bufnr`.
function M.clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = 'leindex', bufnr = bufnr })
  else
    all = {}
    local source = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
    for _, c in pairs(source) do
      if c.name == 'leindex' then
        table.insert(all, c)
      end
    end
  end
  return all
end

--- Sends a request through `client` (method call on 0.11+, where the dot form is deprecated).
function M.request(client, method, params, handler, bufnr)
  if M.has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Sends a notification through `client`.
function M.notify(client, method, params)
  if M.has('0.11') then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

--- A request waited for synchronously (at most `timeout` ms): result, err.
function M.request_sync(client, method, params, timeout, bufnr)
  local done, result, err = false, nil, nil
  M.request(client, method, params, function(e, r)
    done, result, err = true, r, e
  end, bufnr)
  if not vim.wait(timeout or 10000, function()
    return done
  end, 20) then
    return nil, { message = method .. ' timed out' }
  end
  return result, err
end

function M.is_file(path)
  local st = path and uv.fs_stat(path)
  return st ~= nil and st.type == 'file'
end

local function is_executable(path)
  return M.is_file(path) and vim.fn.executable(path) == 1
end

--- Parses `leindex 0.1.0` / `leindex-lsp 0.1.0` from `--version` output: program, version.
function M.parse_version(out)
  local program, version = tostring(out or ''):match('^%s*(leindex[%-lsp]*) v?(%d+%.%d+%.%d+%S*)')
  if program ~= 'leindex' and program ~= 'leindex-lsp' then
    return nil
  end
  return program, version
end

--- Runs `bin --version`: the `program version` string, or nil and what went wrong.
function M.version(bin)
  local ok, out = pcall(vim.fn.system, { bin, '--version' })
  if not ok then
    return nil, tostring(out)
  end
  if vim.v.shell_error ~= 0 then
    return nil, string.format('`%s --version` exited with %d', bin, vim.v.shell_error)
  end
  local program, version = M.parse_version(out)
  if not program then
    local first = vim.split(out, '\n')[1] or ''
    return nil, string.format('`%s --version` printed %s, not "leindex X.Y.Z"', bin, first ~= '' and ('"' .. first .. '"') or 'nothing')
  end
  return program .. ' ' .. version
end

--- The command that starts the server for a binary: `leindex lsp`, or `leindex-lsp` alone.
function M.cmd_for(bin)
  if vim.fn.fnamemodify(bin, ':t'):match('^leindex%-lsp') then
    return { bin }
  end
  return { bin, 'lsp' }
end

--- Resolves the server command: `opts.cmd` (a list used as is, or a binary path), else
--- $LEINDEX_SERVER_PATH, else `leindex` then `leindex-lsp` on PATH. Returns cmd, or nil and a message
--- saying what was tried and how to fix it.
function M.resolve_cmd(cmd)
  if type(cmd) == 'table' and #cmd > 0 then
    local bin = vim.fn.exepath(cmd[1])
    if bin == '' then
      return nil, string.format('setup{cmd}: %s is not an executable file', cmd[1])
    end
    return vim.list_extend({ bin }, vim.list_slice(cmd, 2))
  end
  local tried = {}
  local explicit = type(cmd) == 'string' and cmd ~= '' and { 'setup{cmd}', cmd }
    or (os.getenv('LEINDEX_SERVER_PATH') or '') ~= '' and { 'LEINDEX_SERVER_PATH', os.getenv('LEINDEX_SERVER_PATH') }
    or nil
  if explicit then
    local path = vim.fn.expand(explicit[2])
    if not is_executable(path) then
      return nil,
        string.format('%s=%s is not an executable file: point it at the `leindex` (or `leindex-lsp`) binary', explicit[1], path)
    end
    return M.cmd_for(path)
  end
  for _, name in ipairs({ 'leindex', 'leindex-lsp' }) do
    local path = vim.fn.exepath(name)
    if path ~= '' then
      return M.cmd_for(path)
    end
    table.insert(tried, name)
  end
  return nil,
    string.format(
      'no LeIndex server: %s not on PATH and LEINDEX_SERVER_PATH unset. Build it (`cargo test --release --workspace --no-run`, '
        .. 'binaries in $CARGO_TARGET_DIR/release) and put `leindex` on PATH, or pass setup{ cmd = { "/path/to/leindex", "lsp" } }',
      table.concat(tried, ' and ')
    )
end

--- The project root of `path`: the nearest directory holding a marker of the first group that matches
--- anywhere above it (groups in priority order, so `.git` above a workspace member's Cargo.toml wins over
--- the member), else nil.
function M.find_root(path, marker_groups)
  local start = vim.fn.fnamemodify(path, ':p')
  local st = uv.fs_stat(start)
  local dir = (st and st.type == 'directory') and start or vim.fn.fnamemodify(start, ':h')
  dir = dir:gsub('/+$', '')
  for _, group in ipairs(marker_groups) do
    local d = dir
    while d and d ~= '' do
      for _, marker in ipairs(group) do
        if uv.fs_stat(d .. '/' .. marker) then
          return d
        end
      end
      local parent = vim.fn.fnamemodify(d, ':h')
      if parent == d then
        break
      end
      d = parent
    end
  end
  return nil
end

return M
