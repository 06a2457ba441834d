using System.CommandLine;
using System.CommandLine.Invocation;

namespace ParameterSaliency.Cli;

/// <summary>Runs the parsed command; turns expected failures (bad input, missing files) into one clear line and exit code 1.</summary>
internal static class CommandRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or KeyNotFoundException)
        {
            Console.Error.WriteLine($"saliency: error: {e.Message}");
            return 1;
        }
    }
}
