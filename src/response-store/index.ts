export { ResponseStore, type StoreBounds } from './store.js';
export { StoreOpenError, type ListedResponse, type StoredResponse } from './db.js';
export { chainHandle } from './handle.js';
export { getResponse, deleteResponse, listInputItems } from './routes.js';
