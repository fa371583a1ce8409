package io.liveroom.filter;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * An immutable Aho-Corasick automaton over sensitive words, matching case- and width-insensitively:
 * full-width forms (U+FF01..U+FF5E, U+3000) fold to ASCII and letters to lower case, character by
 * character, so a match maps back onto the original text one to one. Thread-safe once built.
 */
public final class WordFilter {
  /** A filter that matches nothing. */
  public static final WordFilter EMPTY = new WordFilter(List.of());

  /** Per state: sorted transition characters and their target states. */
  private final char[][] keys;
  private final int[][] targets;
  private final int[] fail;
  /** Length of the longest word ending at each state (0: none). */
  private final int[] out;
  private final int words;

  public WordFilter(Collection<String> wordList) {
    List<Map<Character, Integer>> trans = new ArrayList<>();
    List<Integer> outLen = new ArrayList<>();
    trans.add(new HashMap<>());
    outLen.add(0);
    int count = 0;
    for (String raw : wordList) {
      String w = raw.strip();
      if (w.isEmpty() || w.startsWith("#")) {
        continue;
      }
      count++;
      int s = 0;
      for (int i = 0; i < w.length(); i++) {
        char c = fold(w.charAt(i));
        Integer t = trans.get(s).get(c);
        if (t == null) {
          t = trans.size();
          trans.add(new HashMap<>());
          outLen.add(0);
          trans.get(s).put(c, t);
        }
        s = t;
      }
      outLen.set(s, Math.max(outLen.get(s), w.length()));
    }
    int n = trans.size();
    this.keys = new char[n][];
    this.targets = new int[n][];
    for (int i = 0; i < n; i++) {
      Character[] cs = trans.get(i).keySet().toArray(new Character[0]);
      Arrays.sort(cs);
      keys[i] = new char[cs.length];
      targets[i] = new int[cs.length];
      for (int j = 0; j < cs.length; j++) {
        keys[i][j] = cs[j];
        targets[i][j] = trans.get(i).get(cs[j]);
      }
    }
    this.fail = new int[n];
    this.out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = outLen.get(i);
    }
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int t : targets[0]) {
      queue.add(t);
    }
    while (!queue.isEmpty()) {
      int s = queue.poll();
      for (int j = 0; j < keys[s].length; j++) {
        char c = keys[s][j];
        int t = targets[s][j];
        int f = fail[s];
        while (f > 0 && go(f, c) < 0) {
          f = fail[f];
        }
        int ft = Math.max(0, go(f, c));
        fail[t] = ft == t ? 0 : ft;
        out[t] = Math.max(out[t], out[fail[t]]);
        queue.add(t);
      }
    }
    this.words = count;
  }

  /** The transition of state {@code s} on {@code c}, or -1. */
  private int go(int s, char c) {
    int i = Arrays.binarySearch(keys[s], c);
    return i >= 0 ? targets[s][i] : -1;
  }

  public int size() {
    return words;
  }

  /** Whether the text contains a word. */
  public boolean matches(String text) {
    if (words == 0) {
      return false;
    }
    int s = 0;
    for (int i = 0; i < text.length(); i++) {
      s = step(s, fold(text.charAt(i)));
      if (out[s] > 0) {
        return true;
      }
    }
    return false;
  }

  /** The text with every character of every matched word replaced by {@code *}. */
  public String mask(String text) {
    if (words == 0) {
      return text;
    }
    char[] chars = null;
    int s = 0;
    for (int i = 0; i < text.length(); i++) {
      s = step(s, fold(text.charAt(i)));
      if (out[s] > 0) {
        if (chars == null) {
          chars = text.toCharArray();
        }
        for (int j = i - out[s] + 1; j <= i; j++) {
          chars[j] = '*';
        }
      }
    }
    return chars == null ? text : new String(chars);
  }

  private int step(int s, char c) {
    int t;
    while ((t = go(s, c)) < 0 && s > 0) {
      s = fail[s];
    }
    return Math.max(0, t);
  }

  /** Full-width ASCII to ASCII, then lower case. */
  static char fold(char c) {
    if (c >= '\uFF01' && c <= '\uFF5E') {
      c = (char) (c - 0xFEE0);
    } else if (c == '\u3000') {
      c = ' ';
    }
    return Character.toLowerCase(c);
  }
}
