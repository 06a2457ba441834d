using System.Diagnostics;
using ParameterSaliency.Data;

namespace ParameterSaliency.Tests;

/// <summary>Paths of the repository and a helper that runs the workbook's programs as child processes.</summary>
internal static class Workbook
{
    public static string Root => WorkbookPaths.Root;
    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string Output(string project, string assembly) =>
        Path.Combine(Root, "lib", project, "bin", Configuration, "net10.0", assembly);

    /// <summary>Runs <c>dotnet assembly args</c> in <paramref name="workingDirectory"/> with extra <paramref name="environment"/> variables; returns exit code and both streams.</summary>
    public static (int ExitCode, string Output, string Error) Run(string assembly, string arguments, string? workingDirectory = null, TimeSpan? timeout = null,
        Dictionary<string, string>? environment = null) =>
        RunProgram("dotnet", $"\"{assembly}\" {arguments}", workingDirectory, timeout, environment);

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> (default: in the repository root, at most 20 minutes); returns exit code and both streams.</summary>
    public static (int ExitCode, string Output, string Error) RunProgram(string program, string arguments, string? workingDirectory = null, TimeSpan? timeout = null,
        Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (var (name, value) in environment ?? []) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(20)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {arguments} did not finish in time.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
