-- `:checkhealth leindex`: is setup() called, which client API this Neovim uses, is the server binary
-- found and does `--version` identify it, and the index state (from a running server's `leindex/status`,
-- else from `leindex status --format json` on the current directory's project).
local util = require('leindex.util')

local M = {}

-- vim.health.start/ok/... (0.10+), vim.health.report_* (0.8, 0.9), health#report_* (0.7).
local h = vim.health or {}
local function pick(new, old)
  return h[new] or h['report_' .. new] or vim.fn['health#report_' .. old]
end
local start, ok, warn, err, info = pick('start', 'start'), pick('ok', 'ok'), pick('warn', 'warn'), pick('error', 'error'), pick('info', 'info')

local function index_from_cli(bin, root)
  local out = vim.fn.system({ bin, 'status', '--format', 'json', '--project', root })
  if vim.v.shell_error ~= 0 then
    return nil, vim.trim(out)
  end
  local decoded, st = pcall(vim.fn.json_decode, out)
  if not decoded or type(st) ~= 'table' then
    return nil, 'unreadable `leindex status --format json` output'
  end
  -- The CLI prints snake_case; the status lines read the server's camelCase.
  local camel = {}
  for k, v in pairs(st) do
    camel[k:gsub('_(%l)', string.upper)] = v
  end
  return camel
end

function M.check()
  local leindex = require('leindex')
  local analyze = require('leindex.analyze')
  start('LeIndex')
  local v = vim.version()
  if not util.has('0.7') then
    err(string.format('Neovim %d.%d is too old: LeIndex needs 0.7 or newer', v.major, v.minor))
  end
  if leindex.did_setup then
    ok(string.format('setup() called; Neovim %d.%d.%d starts the server with %s', v.major, v.minor, v.patch, tostring(leindex.api)))
  else
    warn('setup() was not called', { 'add require("leindex").setup{} to your init.lua' })
  end

  local cmd, why = leindex.cmd, leindex.cmd_error
  if not leindex.did_setup then
    cmd, why = util.resolve_cmd(nil)
  end
  if not cmd then
    err('server binary: ' .. tostring(why))
    return
  end
  ok('server command: ' .. table.concat(cmd, ' '))
  local version, problem = util.version(cmd[1])
  if version then
    ok('version: ' .. version)
  else
    warn('version: ' .. problem, { 'is this the LeIndex binary? `leindex --version` prints `leindex X.Y.Z`' })
  end

  local clients = util.clients()
  if #clients == 0 then
    info('no LeIndex server running (open a file of a supported language in a project)')
    local root = util.find_root(vim.fn.getcwd(), leindex.config.root_markers) or vim.fn.getcwd()
    if vim.fn.fnamemodify(cmd[1], ':t'):match('^leindex%-lsp') then
      return
    end
    local st, e = index_from_cli(cmd[1], root)
    if not st then
      warn('index of ' .. root .. ': ' .. tostring(e))
    elseif st.generation == nil or st.generation == vim.NIL then
      info('index of ' .. root .. ': none yet (the server builds it when it starts)')
    else
      ok('index of ' .. root .. ': ' .. table.concat(analyze.status_lines(st), '; '))
    end
    return
  end
  for _, c in ipairs(clients) do
    local st, e = util.request_sync(c, 'leindex/status', nil, 5000)
    local root = tostring(c.config.root_dir)
    if st then
      leindex.last_status[c.id] = st
      ok(string.format('server %d on %s: %s', c.id, root, table.concat(analyze.status_lines(st), '; ')))
      if st.problem and st.problem ~= vim.NIL then
        warn('index problem: ' .. st.problem)
      end
    elseif e and e.code == -32803 then
      info(string.format('server %d on %s: indexing (%s)', c.id, root, e.message))
    else
      err(string.format('server %d on %s: leindex/status failed: %s', c.id, root, e and e.message or 'no answer'))
    end
  end
end

return M
