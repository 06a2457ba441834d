// Where the suite's time goes, read from the trx log `dotnet test --logger trx` wrote: the 15 test classes with the most
// test time, then the totals. Run by .ci/run after the tests, as a .NET file-based program: dotnet run slowest-classes.cs -- FILE.trx
//
// A class's "test time" is the sum of its tests' durations as the runner measured them (what the class costs the
// suite's two lanes); its "span" is from its first test's start to its last test's end (how long it held a lane,
// waits included). Class-fixture constructors run before a class's first test and are in neither.
using System.Globalization;
using System.Xml.Linq;

if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run slowest-classes.cs -- FILE.trx");
    return 2;
}

XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
var run = XDocument.Load(args[0]).Root!;
var classOfTest = run.Descendants(ns + "UnitTest").ToDictionary(
    test => test.Attribute("id")!.Value,
    test => test.Element(ns + "TestMethod")!.Attribute("className")!.Value);
var results = run.Descendants(ns + "UnitTestResult").Select(result => new
{
    Class = ShortName(classOfTest[result.Attribute("testId")!.Value]),
    Duration = TimeSpan.Parse(result.Attribute("duration")?.Value ?? "0:0:0", CultureInfo.InvariantCulture),
    Start = DateTimeOffset.Parse(result.Attribute("startTime")!.Value, CultureInfo.InvariantCulture),
    End = DateTimeOffset.Parse(result.Attribute("endTime")!.Value, CultureInfo.InvariantCulture),
    Outcome = result.Attribute("outcome")!.Value,
}).ToList();
if (results.Count == 0)
{
    Console.WriteLine("slowest test classes: the trx log holds no test result");
    return 0;
}

var classes = results.GroupBy(r => r.Class).Select(g => new
{
    Name = g.Key,
    Tests = g.Count(),
    TestTime = TimeSpan.FromTicks(g.Sum(r => r.Duration.Ticks)),
    Span = g.Max(r => r.End) - g.Min(r => r.Start),
}).OrderByDescending(c => c.TestTime).ToList();
var summed = TimeSpan.FromTicks(results.Sum(r => r.Duration.Ticks));
var times = run.Element(ns + "Times")!;
var wall = DateTimeOffset.Parse(times.Attribute("finish")!.Value, CultureInfo.InvariantCulture)
         - DateTimeOffset.Parse(times.Attribute("start")!.Value, CultureInfo.InvariantCulture);

Console.WriteLine();
Console.WriteLine("The 15 test classes with the most test time (trx durations; span = first test's start to last test's end):");
Console.WriteLine($"{"#",3}  {"class",-36} {"tests",5} {"test time",10} {"share",6} {"span",9}");
int rank = 0;
foreach (var c in classes.Take(15))
    Console.WriteLine($"{++rank,3}  {c.Name,-36} {c.Tests,5} {Minutes(c.TestTime),10} {c.TestTime / summed,6:P0} {Minutes(c.Span),9}");
Console.WriteLine($"     {$"the other {Math.Max(0, classes.Count - 15)} classes",-36} {classes.Skip(15).Sum(c => c.Tests),5} {Minutes(TimeSpan.FromTicks(classes.Skip(15).Sum(c => c.TestTime.Ticks))),10}");
Console.WriteLine($"total: {results.Count} tests in {classes.Count} classes ({results.Count(r => r.Outcome == "Passed")} passed, " +
                  $"{results.Count(r => r.Outcome == "Failed")} failed, {results.Count(r => r.Outcome == "NotExecuted")} skipped); " +
                  $"test time {Minutes(summed)}, run {Minutes(wall)} from the test host's start to its end");
return 0;

static string ShortName(string className) => className[(className.LastIndexOf('.') + 1)..];

static string Minutes(TimeSpan time) => $"{(int)time.TotalMinutes}:{time.Seconds:00}";
