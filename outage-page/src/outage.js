/*
 * Outage page behaviour: language choice and the live notice from /status.json.
 * Plain ES2017, no dependencies, no build step. Everything here is an enhancement: without it the
 * HTML shows both languages with the full baseline text and every contact.
 */
(function (root) {
  'use strict';

  var STATUS_URL = '/status.json';
  var REFRESH_MS = 60 * 1000;
  var STORAGE_KEY = 'outage-page-lang';
  var LANGS = ['ko', 'en'];
  var SEVERITIES = ['none', 'info', 'minor', 'major'];
  var STATES = ['operational', 'degraded', 'down', 'unknown'];
  /* Same rule as z.iso.datetime(): UTC ("Z"), seconds required, optional fraction. */
  var DATETIME_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$/;

  var TEXT = {
    ko: {
      title: '일시적으로 이용할 수 없습니다 · ',
      toggle: 'English',
      toggleLang: 'en',
      severity: {
        none: '진행 중인 장애 없음',
        info: '안내',
        minor: '일부 서비스 장애',
        major: '서비스 중단',
      },
      state: { operational: '정상', degraded: '일부 장애', down: '중단', unknown: '확인 중' },
      next: '다음 안내 예정: ',
      locale: 'ko-KR',
    },
    en: {
      title: 'Temporarily unavailable · ',
      toggle: '한국어',
      toggleLang: 'ko',
      severity: {
        none: 'No active incident',
        info: 'Information',
        minor: 'Partial outage',
        major: 'Major outage',
      },
      state: {
        operational: 'Operational',
        degraded: 'Slow or partly down',
        down: 'Down',
        unknown: 'Checking',
      },
      next: 'Next update expected by ',
      locale: 'en-US',
    },
  };

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function isPlainObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function onlyKeys(obj, keys) {
    var own = Object.keys(obj);
    return (
      own.length === keys.length &&
      own.every(function (k) {
        return keys.indexOf(k) >= 0;
      })
    );
  }

  function isDateTime(v) {
    if (typeof v !== 'string' || !DATETIME_RE.test(v)) return false;
    var t = Date.parse(v);
    /* Rejects impossible dates such as 02-30, which the regular expression lets through. */
    return !isNaN(t) && new Date(t).toISOString().slice(0, 10) === v.slice(0, 10);
  }

  /** Mirrors lib/contract/status.ts (statusSchema). Anything else leaves the baseline text alone. */
  function isValidStatus(s) {
    if (!isPlainObject(s) || !onlyKeys(s, ['severity', 'message', 'updatedAt', 'nextUpdateAt', 'regions'])) {
      return false;
    }
    if (SEVERITIES.indexOf(s.severity) < 0) return false;
    var m = s.message;
    if (!isPlainObject(m) || !onlyKeys(m, ['ko', 'en'])) return false;
    if (typeof m.ko !== 'string' || typeof m.en !== 'string' || m.ko.length > 2000 || m.en.length > 2000) {
      return false;
    }
    if (!isDateTime(s.updatedAt)) return false;
    if (s.nextUpdateAt !== null && !isDateTime(s.nextUpdateAt)) return false;
    if (!isPlainObject(s.regions)) return false;
    return Object.keys(s.regions).every(function (k) {
      return STATES.indexOf(s.regions[k]) >= 0;
    });
  }

  if (typeof document === 'undefined') {
    /* Loaded outside a browser (unit tests): expose the validator only. */
    root.outagePage = { isValidStatus: isValidStatus, REFRESH_MS: REFRESH_MS };
    return;
  }

  var doc = document;
  var sections = {};
  var site = '';

  function pickLanguage() {
    var stored = null;
    try {
      stored = root.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      stored = null;
    }
    if (LANGS.indexOf(stored) >= 0) return stored;
    var prefs =
      (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]) || [];
    for (var i = 0; i < prefs.length; i++) {
      var code = String(prefs[i] || '')
        .toLowerCase()
        .split('-')[0];
      if (LANGS.indexOf(code) >= 0) return code;
    }
    return 'en';
  }

  function showLanguage(lang) {
    var t = TEXT[lang];
    doc.documentElement.lang = lang;
    doc.title = t.title + site;
    LANGS.forEach(function (l) {
      sections[l].hidden = l !== lang;
    });
    var button = doc.getElementById('lang-toggle');
    button.textContent = t.toggle;
    button.lang = t.toggleLang;
    button.setAttribute('data-target', t.toggleLang);
    button.hidden = false;
  }

  function formatTime(iso, lang) {
    try {
      return new Intl.DateTimeFormat(TEXT[lang].locale, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
      }).format(new Date(iso));
    } catch (e) {
      return iso;
    }
  }

  function field(section, name) {
    return section.querySelector('[data-field="' + name + '"]');
  }

  function setTime(el, prefix, iso, lang) {
    var time = doc.createElement('time');
    time.dateTime = iso;
    time.textContent = formatTime(iso, lang);
    el.textContent = prefix;
    el.appendChild(time);
  }

  function applyRegions(section, regions, lang) {
    var list = section.querySelector('[data-regions]');
    var t = TEXT[lang];
    Array.prototype.forEach.call(list.querySelectorAll('[data-extra]'), function (li) {
      list.removeChild(li);
    });
    var known = {};
    Array.prototype.forEach.call(list.querySelectorAll('[data-region]'), function (li) {
      var code = li.getAttribute('data-region');
      var state = has(regions, code) ? regions[code] : 'unknown';
      var span = li.querySelector('.state');
      span.setAttribute('data-state', state);
      span.textContent = t.state[state];
      known[code] = true;
    });
    Object.keys(regions)
      .sort()
      .forEach(function (code) {
        if (known[code]) return;
        var li = doc.createElement('li');
        li.setAttribute('data-region', code);
        li.setAttribute('data-extra', '');
        var name = doc.createElement('span');
        name.className = 'region-name';
        name.textContent = code;
        var span = doc.createElement('span');
        span.className = 'state';
        span.setAttribute('data-state', regions[code]);
        span.textContent = t.state[regions[code]];
        li.appendChild(name);
        li.appendChild(doc.createTextNode(' '));
        li.appendChild(span);
        list.appendChild(li);
      });
  }

  function applySection(section, s, lang) {
    var t = TEXT[lang];
    var box = section.querySelector('[data-status]');
    var badge = field(section, 'severity');
    var message = field(section, 'message');
    var next = field(section, 'next');
    box.setAttribute('data-severity', s.severity);
    badge.setAttribute('data-severity', s.severity);
    badge.textContent = t.severity[s.severity];
    badge.hidden = false;
    var text = s.message[lang].trim();
    message.textContent = text || message.getAttribute('data-baseline');
    setTime(
      field(section, 'updated'),
      field(section, 'updated').getAttribute('data-prefix'),
      s.updatedAt,
      lang,
    );
    field(section, 'updated').hidden = false;
    if (s.nextUpdateAt) {
      setTime(next, t.next, s.nextUpdateAt, lang);
    } else {
      next.textContent = next.getAttribute('data-baseline');
    }
    applyRegions(section, s.regions, lang);
  }

  function applyStatus(s) {
    LANGS.forEach(function (lang) {
      applySection(sections[lang], s, lang);
    });
    doc.documentElement.setAttribute('data-status', 'applied');
  }

  var timer = null;

  function schedule() {
    if (timer !== null) root.clearTimeout(timer);
    timer = root.setTimeout(refresh, REFRESH_MS);
  }

  function refresh() {
    timer = null;
    /* A missing notice (404/403) is normal: deploys never ship one, so the baseline text stays. */
    return fetch(STATUS_URL, { cache: 'no-store', credentials: 'omit', redirect: 'error' })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (s) {
        if (s !== null && isValidStatus(s)) applyStatus(s);
      })
      .catch(function () {
        /* Network error or invalid JSON: keep whatever is shown. */
      })
      .then(schedule);
  }

  function init() {
    site = doc.querySelector('.site').textContent;
    LANGS.forEach(function (lang) {
      var section = doc.getElementById(lang);
      sections[lang] = section;
      ['message', 'next'].forEach(function (name) {
        var el = field(section, name);
        el.setAttribute('data-baseline', el.textContent.replace(/\s+/g, ' ').trim());
      });
      var updated = field(section, 'updated');
      updated.setAttribute(
        'data-prefix',
        updated.firstChild.textContent.replace(/\s+/g, ' ').replace(/^ /, ''),
      );
    });
    Array.prototype.forEach.call(doc.querySelectorAll('[data-js]'), function (el) {
      el.hidden = false;
    });
    Array.prototype.forEach.call(doc.querySelectorAll('[data-nojs]'), function (el) {
      el.hidden = true;
    });
    showLanguage(pickLanguage());
    doc.getElementById('lang-toggle').addEventListener('click', function (ev) {
      var lang = ev.currentTarget.getAttribute('data-target');
      try {
        root.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) {
        /* Private mode: the choice lasts for this page view only. */
      }
      showLanguage(lang);
    });
    doc.addEventListener('visibilitychange', function () {
      if (doc.visibilityState === 'visible' && timer !== null) {
        root.clearTimeout(timer);
        refresh();
      }
    });
    refresh();
  }

  if (doc.readyState === 'loading') {
    doc.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})(typeof window !== 'undefined' ? window : globalThis);
