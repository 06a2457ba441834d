using System.Reflection;
using System.Runtime.Loader;

// Usage: dotnet ParameterSaliency.Launcher.dll <folders> <assembly name> <type> <method> [arguments...]
// <folders>: the library's folder, then the folders of its dependencies, joined by the path separator.
// Calls the static method <type>.<method>(string[] arguments) of <assembly name>.dll from the first folder
// and exits with the int it returns. Assemblies the method needs are resolved from the folders in order;
// the library itself finds the native libraries (beside TorchSharp, or in its NuGet packages).
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: ParameterSaliency.Launcher <folders> <assembly name> <type> <method> [arguments...]");
    return 2;
}
string[] folders = args[0].Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath).ToArray();
AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    string? candidate = folders.Select(folder => Path.Combine(folder, name.Name + ".dll")).FirstOrDefault(File.Exists);
    return candidate is null ? null : context.LoadFromAssemblyPath(candidate);
};
var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(folders[0], args[1] + ".dll"));
var method = assembly.GetType(args[2], throwOnError: true)!.GetMethod(args[3], BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
    ?? throw new MissingMethodException(args[2], args[3]);
return (int)method.Invoke(null, [args[4..]])!;
