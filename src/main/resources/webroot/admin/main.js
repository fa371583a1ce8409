// The admin page (served by every node at /admin/): asks for an API key, then shows the cluster,
// the room directory and one room at a time. Nothing here is trusted by the server: the page can
// do exactly what the key can do through the REST API.
import { apiKey, onKeyRefused, request, setApiKey } from './api.js';
import { ClusterView } from './cluster.js';
import { RoomView } from './room.js';
import { RoomsView } from './rooms.js';
import { currentRoom } from './routes.js';

const login = document.getElementById('login');
const loginForm = document.getElementById('login-form');
const loginError = document.getElementById('login-error');
const keyInput = document.getElementById('api-key');
const app = document.getElementById('app');
const signOut = document.getElementById('sign-out');

const cluster = new ClusterView();
const rooms = new RoomsView();
const room = new RoomView();

function showLogin(message) {
  cluster.stop();
  room.close();
  app.hidden = true;
  signOut.hidden = true;
  login.hidden = false;
  loginError.textContent = message || '';
  loginError.hidden = !message;
  keyInput.value = '';
  keyInput.focus();
}

function showApp() {
  login.hidden = true;
  loginError.hidden = true;
  app.hidden = false;
  signOut.hidden = false;
  cluster.start();
  if (currentRoom() === null) {
    rooms.load(null);
  }
  route();
}

function route() {
  if (app.hidden) {
    return;
  }
  const id = currentRoom();
  if (id === null) {
    room.close();
    rooms.show(true);
  } else if (id !== room.id) {
    rooms.show(false);
    room.open(id);
  }
}

loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    return;
  }
  try {
    // any authenticated call tells whether the key is good; stats is the cheapest
    await request('GET', '/stats', { key });
  } catch (error) {
    const why = error.status === 401 || error.status === 403
      ? `The node refused this key (${error}).` : `Could not check the key (${error}).`;
    showLogin(why);
    return;
  }
  setApiKey(key);
  showApp();
});

signOut.addEventListener('click', () => {
  setApiKey(null);
  showLogin();
});

onKeyRefused((error) => {
  if (apiKey()) {
    setApiKey(null);
    showLogin(`The node no longer accepts the key (${error}). Enter it again.`);
  }
});

window.addEventListener('hashchange', route);

if (apiKey()) {
  showApp();
} else {
  showLogin();
}
