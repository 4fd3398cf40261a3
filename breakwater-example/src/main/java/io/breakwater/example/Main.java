package io.breakwater.example;

/** Entry point of the example jar. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("breakwater-example");
  }
}
