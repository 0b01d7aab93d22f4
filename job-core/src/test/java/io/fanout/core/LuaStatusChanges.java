package io.fanout.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a Redis script as text and finds the status changes it can make: for every write of a
 * job's {@code status} field, the statuses the job may be in when the write runs (read from the
 * hash earlier in the script and narrowed by the guards on the way: enclosing {@code if}s and
 * earlier branches that {@code return}) and the statuses written. It also collects every status
 * name the script compares or writes. The analysis over-approximates: a condition it cannot read
 * (one about counts or versions) is taken as possibly true and possibly false, so a change it
 * reports may be impossible, but a change the script can make is never missed. It knows the Lua
 * the scripts are written in (if/elseif/else, for, while, local functions, return) and refuses
 * what it does not know ({@code repeat}, {@code goto}) rather than guess. It sees a status write
 * as {@code redis.call('HSET', key, ..., 'status', value, ...)}; a field name held in a variable
 * (as create.lua's whole new hash, always {@code queued}: {@link Job#toHash}) is not seen.
 */
final class LuaStatusChanges {
  /** The status of a job whose hash does not exist: {@code HGET} answered nil. */
  static final String MISSING = "(missing)";

  /** A write of the status field at {@code line}, from any of {@code from} to any of {@code to}. */
  record Write(int line, Set<String> from, Set<String> to) {}

  private enum Truth { TRUE, FALSE, UNKNOWN }

  /** A condition, with the variables that held the status read when it was evaluated in the script. */
  private record Condition(List<Token> tokens, Set<String> reads) {}

  private record Token(String text, boolean string, int line) {
    boolean is(String keyword) {
      return !string && text.equals(keyword);
    }
  }

  /** A block in progress: an if-statement's branches, or a loop or function body. */
  private static final class Block {
    final boolean isIf;
    final Set<String> before;
    final List<Condition> conditions = new ArrayList<>();
    final Set<String> after = new TreeSet<>();
    boolean hasElse;

    Block(boolean isIf, Set<String> before) {
      this.isIf = isIf;
      this.before = before;
    }
  }

  private final Set<String> universe;
  private final List<Token> tokens;
  /** Variables holding the status read from the hash ({@code status}, {@code fields[1]}). */
  private final Set<String> readVariables = new LinkedHashSet<>();
  /** Variables holding a condition on the status ({@code local counting = status == 'running'}). */
  private final Map<String, Condition> aliases = new HashMap<>();
  /** Status literals assigned to a variable later written as the status. */
  private final Map<String, Set<String>> assigned = new HashMap<>();
  private final List<Write> writes = new ArrayList<>();
  private final Set<String> namesUsed = new TreeSet<>();

  private LuaStatusChanges(String script, Set<String> states) {
    this.universe = new TreeSet<>(states);
    universe.add(MISSING);
    this.tokens = lex(script);
    walk();
  }

  static LuaStatusChanges of(String script, Set<String> states) {
    return new LuaStatusChanges(script, states);
  }

  List<Write> writes() {
    return writes;
  }

  /** Every string the script compares with a status, or writes as one. */
  Set<String> namesUsed() {
    return namesUsed;
  }

  private void walk() {
    Deque<Block> blocks = new ArrayDeque<>();
    Set<String> current = new TreeSet<>(universe);
    for (int i = 0; i < tokens.size(); i++) {
      Token token = tokens.get(i);
      if (token.is("repeat") || token.is("goto")) {
        throw new IllegalArgumentException("line " + token.line() + ": '" + token.text() + "' is not understood");
      } else if (token.is("if")) {
        int then = indexOf("then", i);
        Block block = new Block(true, current);
        block.conditions.add(condition(i + 1, then));
        blocks.push(block);
        current = possible(block, Truth.FALSE);
        i = then;
      } else if (token.is("elseif")) {
        Block block = blocks.element();
        block.after.addAll(current);
        int then = indexOf("then", i);
        block.conditions.add(condition(i + 1, then));
        current = possible(block, Truth.FALSE);
        i = then;
      } else if (token.is("else")) {
        Block block = blocks.element();
        block.after.addAll(current);
        block.hasElse = true;
        current = possible(block, Truth.FALSE);
      } else if (token.is("for") || token.is("while")) {
        blocks.push(new Block(false, current));
        i = indexOf("do", i);
      } else if (token.is("function")) {
        blocks.push(new Block(false, current));
        i = indexOf(")", i);
      } else if (token.is("do")) {
        blocks.push(new Block(false, current));
      } else if (token.is("end")) {
        Block block = blocks.pop();
        if (block.isIf) {
          block.after.addAll(current);
          if (!block.hasElse) {
            block.after.addAll(possibleWhenNoneHolds(block));
          }
          current = block.after;
        } else {
          current = block.before; // a body may not run at all, and what it returns leaves only itself
        }
      } else if (token.is("return")) {
        current = new TreeSet<>(); // the rest of this block is not reached
      } else if (token.is("redis") && i + 4 < tokens.size() && tokens.get(i + 2).is("call")) {
        i = call(i, current);
      } else if (token.is("=") && i > 0 && !tokens.get(i - 1).string()) {
        assignment(i);
      } else if (token.is("==") || token.is("~=")) {
        comparedName(i);
      }
    }
  }

  /** States that may be in the branch now open: its condition may hold and no earlier one must have. */
  private Set<String> possible(Block block, Truth excluded) {
    Set<String> result = new TreeSet<>();
    for (String state : block.before) {
      Truth entry = block.hasElse ? Truth.TRUE : evaluate(block.conditions.get(block.conditions.size() - 1), state);
      int earlier = block.hasElse ? block.conditions.size() : block.conditions.size() - 1;
      for (int k = 0; k < earlier; k++) {
        entry = and(entry, not(evaluate(block.conditions.get(k), state)));
      }
      if (entry != excluded) {
        result.add(state);
      }
    }
    return result;
  }

  private Set<String> possibleWhenNoneHolds(Block block) {
    block.hasElse = true;
    Set<String> result = possible(block, Truth.FALSE);
    block.hasElse = false;
    return result;
  }

  /** A {@code redis.call(...)}: a read of the status, or a write of it. Returns the index of its ')'. */
  private int call(int at, Set<String> current) {
    int close = matching(at + 3);
    List<List<Token>> args = split(tokens.subList(at + 4, close), ",");
    String command = args.get(0).get(0).text().toUpperCase();
    if ((command.equals("HGET") || command.equals("HMGET")) && readsStatus(args)) {
      String variable = assignedName(at);
      if (command.equals("HGET")) {
        readVariables.add(variable);
      } else {
        for (int k = 2; k < args.size(); k++) {
          if (isLiteral(args.get(k), "status")) {
            readVariables.add(variable + "[" + (k - 1) + "]");
          }
        }
      }
    } else if (command.startsWith("HSET") || command.equals("HMSET")) {
      for (int k = 2; k + 1 < args.size(); k += 2) {
        if (isLiteral(args.get(k), "status")) {
          writes.add(new Write(args.get(k).get(0).line(), Set.copyOf(current), written(args.get(k + 1))));
        }
      }
    }
    return close;
  }

  private static boolean readsStatus(List<List<Token>> args) {
    return args.stream().skip(2).anyMatch(arg -> isLiteral(arg, "status"));
  }

  /** What a status write writes: a literal, or a variable given literals earlier in the script. */
  private Set<String> written(List<Token> value) {
    Set<String> names = new TreeSet<>();
    if (value.size() == 1 && value.get(0).string()) {
      names.add(value.get(0).text());
    } else if (value.size() == 1 && assigned.containsKey(value.get(0).text())) {
      names.addAll(assigned.get(value.get(0).text()));
    } else {
      names.add("<" + join(value) + ">"); // not a status name the table knows: the test says so
    }
    namesUsed.addAll(names);
    return names;
  }

  /** {@code local x = <condition on the status>} makes an alias; {@code x = 'a' or 'b'} gives x literals. */
  private void assignment(int at) {
    String variable = tokens.get(at - 1).text();
    int end = at + 1;
    int line = tokens.get(at).line();
    int depth = 0;
    while (end < tokens.size() && (tokens.get(end).line() == line || depth > 0)) {
      depth += tokens.get(end).is("(") ? 1 : tokens.get(end).is(")") ? -1 : 0;
      end++;
    }
    List<Token> value = tokens.subList(at + 1, end);
    boolean isRead = value.size() > 2 && value.get(0).is("redis");
    if (isRead) {
      return;
    }
    if (value.stream().anyMatch(t -> t.is("==") || t.is("~="))) {
      aliases.put(variable, new Condition(value, Set.copyOf(readVariables)));
    }
    if (readVariables.remove(variable)) {
      // Assigned anew: from here on it no longer holds the status that was read.
      value.stream().filter(Token::string).forEach(t -> assigned.computeIfAbsent(variable, v -> new TreeSet<>())
          .add(t.text()));
    }
  }

  private void comparedName(int at) {
    Token left = tokens.get(at - 1);
    Token right = tokens.get(at + 1);
    String variable = left.string() ? right.text() : variableEndingAt(at - 1);
    Token literal = left.string() ? left : right;
    if (literal.string() && (readVariables.contains(variable) || variable.equals("status"))) {
      namesUsed.add(literal.text());
    }
  }

  private Condition condition(int from, int to) {
    for (int k = from; k < to; k++) {
      if (tokens.get(k).is("==") || tokens.get(k).is("~=")) {
        comparedName(k);
      }
    }
    return new Condition(tokens.subList(from, to), Set.copyOf(readVariables));
  }

  private Truth evaluate(Condition condition, String state) {
    return evaluate(condition.tokens(), condition.reads(), state);
  }

  /** Whether the condition holds for a job in {@code state}; {@code reads} hold that state. */
  private Truth evaluate(List<Token> condition, Set<String> reads, String state) {
    List<List<Token>> alternatives = split(condition, "or");
    if (alternatives.size() > 1) {
      Truth result = Truth.FALSE;
      for (List<Token> alternative : alternatives) {
        result = or(result, evaluate(alternative, reads, state));
      }
      return result;
    }
    List<List<Token>> conjuncts = split(condition, "and");
    if (conjuncts.size() > 1) {
      Truth result = Truth.TRUE;
      for (List<Token> conjunct : conjuncts) {
        result = and(result, evaluate(conjunct, reads, state));
      }
      return result;
    }
    if (condition.isEmpty()) {
      return Truth.UNKNOWN;
    }
    if (condition.get(0).is("not")) {
      return not(evaluate(condition.subList(1, condition.size()), reads, state));
    }
    if (condition.get(0).is("(") && matching(condition, 0) == condition.size() - 1) {
      return evaluate(condition.subList(1, condition.size() - 1), reads, state);
    }
    String whole = join(condition);
    if (aliases.containsKey(whole)) {
      return evaluate(aliases.get(whole), state);
    }
    if (reads.contains(whole)) {
      return state.equals(MISSING) ? Truth.FALSE : Truth.TRUE;
    }
    int last = condition.size() - 1;
    if (condition.size() >= 3 && condition.get(last).string() 
        && reads.contains(join(condition.subList(0, last - 1)))) {
      boolean equal = condition.get(last).text().equals(state);
      return condition.get(last - 1).is("==") == equal ? Truth.TRUE : Truth.FALSE;
    }
    return Truth.UNKNOWN;
  }

  private static Truth and(Truth a, Truth b) {
    return a == Truth.FALSE || b == Truth.FALSE ? Truth.FALSE
        : a == Truth.TRUE && b == Truth.TRUE ? Truth.TRUE : Truth.UNKNOWN;
  }

  private static Truth or(Truth a, Truth b) {
    return not(and(not(a), not(b)));
  }

  private static Truth not(Truth a) {
    return a == Truth.TRUE ? Truth.FALSE : a == Truth.FALSE ? Truth.TRUE : Truth.UNKNOWN;
  }

  /** Splits at {@code separator} outside parentheses and braces. */
  private static List<List<Token>> split(List<Token> run, String separator) {
    List<List<Token>> parts = new ArrayList<>();
    int depth = 0;
    int from = 0;
    for (int k = 0; k < run.size(); k++) {
      Token t = run.get(k);
      depth += t.is("(") || t.is("{") ? 1 : t.is(")") || t.is("}") ? -1 : 0;
      if (depth == 0 && t.is(separator)) {
        parts.add(run.subList(from, k));
        from = k + 1;
      }
    }
    parts.add(run.subList(from, run.size()));
    return parts;
  }

  private static boolean isLiteral(List<Token> arg, String text) {
    return arg.size() == 1 && arg.get(0).string() && arg.get(0).text().equals(text);
  }

  /** The variable a call at {@code at} is assigned to: {@code [local] name = redis.call(...)}. */
  private String assignedName(int at) {
    if (at < 2 || !tokens.get(at - 1).is("=")) {
      throw new IllegalArgumentException("line " + tokens.get(at).line() + ": a status read not assigned to a variable");
    }
    return tokens.get(at - 2).text();
  }

  /** {@code name} or {@code name[1]} ending at {@code end}. */
  private String variableEndingAt(int end) {
    if (tokens.get(end).is("]") && end >= 3) {
      return join(tokens.subList(end - 3, end + 1));
    }
    return tokens.get(end).text();
  }

  private int indexOf(String keyword, int from) {
    for (int k = from; k < tokens.size(); k++) {
      if (tokens.get(k).is(keyword)) {
        return k;
      }
    }
    throw new IllegalArgumentException("line " + tokens.get(from).line() + ": no '" + keyword + "'");
  }

  private int matching(int open) {
    return open + matching(tokens.subList(open, tokens.size()), 0);
  }

  private static int matching(List<Token> run, int open) {
    int depth = 0;
    for (int k = open; k < run.size(); k++) {
      depth += run.get(k).is("(") ? 1 : run.get(k).is(")") ? -1 : 0;
      if (depth == 0) {
        return k;
      }
    }
    throw new IllegalArgumentException("unbalanced parentheses at line " + run.get(open).line());
  }

  private static String join(List<Token> run) {
    StringBuilder text = new StringBuilder();
    run.forEach(t -> text.append(t.string() ? "'" + t.text() + "'" : t.text()));
    return text.toString();
  }

  /** Lua's tokens, without comments; a string token holds its content. */
  private static List<Token> lex(String script) {
    List<Token> tokens = new ArrayList<>();
    int line = 1;
    int i = 0;
    while (i < script.length()) {
      char c = script.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else if (script.startsWith("--", i)) {
        while (i < script.length() && script.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '\'' || c == '"') {
        StringBuilder content = new StringBuilder();
        i++;
        while (script.charAt(i) != c) {
          if (script.charAt(i) == '\\') {
            i++;
          }
          content.append(script.charAt(i++));
        }
        i++;
        tokens.add(new Token(content.toString(), true, line));
      } else if (Character.isLetterOrDigit(c) || c == '_') {
        int start = i;
        while (i < script.length() && (Character.isLetterOrDigit(script.charAt(i)) || script.charAt(i) == '_')) {
          i++;
        }
        tokens.add(new Token(script.substring(start, i), false, line));
      } else {
        String two = i + 1 < script.length() ? script.substring(i, i + 2) : "";
        String symbol = List.of("==", "~=", "<=", ">=", "..").contains(two) ? two : String.valueOf(c);
        tokens.add(new Token(symbol, false, line));
        i += symbol.length();
      }
    }
    return tokens;
  }
}
