// A small promise wrapper over IndexedDB: the outbox (ordered by seq) and a key-value store for the route.
const DB_NAME = "ajib-courier";
const DB_VERSION = 1;
let dbPromise = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("outbox")) {
          const store = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          store.createIndex("key", "key", { unique: true });
        }
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function store(name, mode) {
  const db = await openDb();
  return db.transaction(name, mode).objectStore(name);
}

export async function add(name, value) {
  return request((await store(name, "readwrite")).add(value));
}

export async function put(name, value, key) {
  return request((await store(name, "readwrite")).put(value, key));
}

export async function get(name, key) {
  return request((await store(name, "readonly")).get(key));
}

export async function del(name, key) {
  return request((await store(name, "readwrite")).delete(key));
}

export async function all(name) {
  return request((await store(name, "readonly")).getAll());
}

export async function clear(name) {
  return request((await store(name, "readwrite")).clear());
}
