package io.liveroom.loadgen;

import java.util.function.BiPredicate;

/** Command lines of {@code --name value} pairs, for the load tools' option parsers. */
final class Args {
  private Args() {
  }

  /**
   * Hands each {@code --name value} pair to {@code set}, in order; false (nothing more read) for
   * {@code --help} or {@code -h}. A name without a value, or one that {@code set} refuses
   * (returns false), fails with {@code usage}.
   */
  static boolean pairs(String[] args, String usage, BiPredicate<String, String> set) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        return false;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      if (!set.test(a, args[++i])) {
        throw new IllegalArgumentException("unknown option " + a + "\n" + usage);
      }
    }
    return true;
  }
}
