-- Defines the :LeIndex* commands at startup, so that they exist whether the server was started by
-- require('leindex').setup{} or by vim.lsp.enable('leindex') (lsp/leindex.lua).
if vim.g.loaded_leindex then
  return
end
vim.g.loaded_leindex = true
require('leindex').define_commands()
