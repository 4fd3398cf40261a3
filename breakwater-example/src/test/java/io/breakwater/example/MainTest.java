package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MainTest {

  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  private static Set<String> breakwaterThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("breakwater-"))
        .collect(Collectors.toSet());
  }

  @Test
  void demoShowsTheCircuitOpeningAndClosingAndExitsCleanly() {
    Set<String> before = breakwaterThreads();

    int code = Main.run(new String[] {"demo", "--duration", "16"}, out, err);

    assertThat(code).isZero();
    String output = out();
    assertThat(output).contains("Response: Hello World");
    assertThat(output).contains("circuit CLOSED -> OPEN");
    assertThat(output).contains("circuit HALF_OPEN -> CLOSED");
    List<String> rows = Arrays.stream(output.split("\n"))
        .filter(line -> line.matches("\\s*\\d+s\\s.*")).collect(Collectors.toList());
    assertThat(rows).hasSize(16);
    assertThat(rows).first().asString().contains("healthy").contains("CLOSED");
    // While failing with the circuit open, the fallback answers and the server sees nothing.
    assertThat(rows).anySatisfy(row -> assertThat(row)
        .matches("\\s*\\d+s\\s+(failing|hanging)\\s+\\d+\\s+0\\s+0\\s+0\\s+0\\s+[1-9]\\d*"
            + "\\s+[1-9]\\d*\\s+OPEN\\s+0"));
    assertThat(rows).last().asString().contains("healed").contains("CLOSED");
    assertThat(output).contains("Summary: ").contains("The server saw ");
    // The columns add up to the summary: calls answered after the last second have a row.
    List<String> counted = new ArrayList<>(rows);
    Arrays.stream(output.split("\n")).filter(line -> line.matches("\\s*late\\s.*"))
        .forEach(counted::add);
    long calls = 0;
    long ok = 0;
    long server = 0;
    for (String row : counted) {
      String[] cells = row.trim().split("\\s+");
      int first = cells[0].equals("late") ? 1 : 2; // the late row has no phase
      calls += Long.parseLong(cells[first]);
      ok += Long.parseLong(cells[first + 1]);
      server += Long.parseLong(cells[cells.length - 1]);
    }
    assertThat(output).contains("Summary: " + calls + " calls in 16 s; " + ok
        + " answered by example.service").contains("The server saw " + server + " of the "
        + calls + " calls");
    assertThat(err()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(breakwaterThreads()).isSubsetOf(before));
  }

  @Test
  void withThreeInstancesTheFaultyOneIsEjectedAndTheCircuitNeverOpens() {
    Set<String> before = breakwaterThreads();

    int code = Main.run(new String[] {"demo", "--duration", "8", "--instances", "3"}, out, err);

    assertThat(code).isZero();
    String output = out();
    assertThat(output).contains("Response: Hello World")
        .contains("The faults hit the first of the 3 instances")
        .containsPattern(
            "instance 127\\.0\\.0\\.1:\\d+ ejected for 30 s after 5 failures in a row")
        .doesNotContain("circuit CLOSED -> OPEN");
    List<String> rows = Arrays.stream(output.split("\n"))
        .filter(line -> line.matches("\\s*\\d+s\\s.*")).collect(Collectors.toList());
    assertThat(rows).hasSize(8).allSatisfy(row -> assertThat(row).contains("CLOSED"));
    assertThat(output).contains("The 3 instances saw ");
    assertThat(err()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(breakwaterThreads()).isSubsetOf(before));
  }

  @Test
  void badArgumentsPrintTheUsageOnStderrAndExitWithTwo() {
    assertThat(Main.run(new String[] {"--rate", "0"}, out, err)).isEqualTo(2);
    assertThat(err()).contains("--rate must be between 1 and 500, was 0").contains("usage:");

    assertThat(Main.run(new String[] {"fly"}, out, err)).isEqualTo(2);
    assertThat(err()).contains("unknown command 'fly'");

    assertThat(Main.run(new String[] {"demo", "--duration"}, out, err)).isEqualTo(2);
    assertThat(err()).contains("--duration needs a value");

    assertThat(Main.run(new String[] {"demo", "--duration=abc"}, out, err)).isEqualTo(2);
    assertThat(err()).contains("--duration must be a whole number, was 'abc'");

    // Too long for an int is out of range, not malformed.
    assertThat(Main.run(new String[] {"demo", "--duration", "99999999999"}, out, err))
        .isEqualTo(2);
    assertThat(err()).contains("--duration must be between " + DemoOptions.MIN_DURATION_SECONDS
        + " and " + DemoOptions.MAX_DURATION_SECONDS + ", was 99999999999");

    assertThat(Main.run(new String[] {"demo", "--instances", "10"}, out, err)).isEqualTo(2);
    assertThat(err()).contains("--instances must be between 1 and 9, was 10");
    assertThat(out()).isEmpty();
  }

  @Test
  void optionsAcceptBothSpellingsAndHelpPrintsTheUsage() throws Exception {
    assertThat(DemoOptions.parse()).isEqualTo(new DemoOptions(20, 30, false, false, 7979, 1));
    assertThat(DemoOptions.parse("demo", "--rate=50", "--duration", "10s"))
        .isEqualTo(new DemoOptions(50, 10, false, false, 7979, 1));
    assertThat(DemoOptions.parse("--serve", "--port=0", "--instances", "3"))
        .isEqualTo(new DemoOptions(20, 30, false, true, 0, 3));

    assertThat(Main.run(new String[] {"--help"}, out, err)).isZero();
    assertThat(out()).contains("usage:").contains("--duration");
    assertThat(err()).isEmpty();
  }
}
