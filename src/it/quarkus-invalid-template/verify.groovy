// Run by maven-invoker-plugin after the (expected) build failure: it must be the library's
// build-time validation of @Locked that failed the Quarkus build, naming the method and the problem.
def log = new File(basedir, 'build.log').text
def method = 'io.github.distributedmutex.it.quarkus.invalid.BrokenJobs#process(long)'
def problem = "key template 'job:{job}' refers to unknown parameter 'job'"

assert log.contains('COMPILATION ERROR') == false : 'the project did not even compile'
assert log =~ /quarkus-maven-plugin:[^:]+:build/ : 'the failure did not come from quarkus:build'
assert log.contains(method) : "build.log does not name ${method}"
assert log.contains(problem) : "build.log does not contain the validator's message: ${problem}"
// Quarkus runs no portable extension: the error must come from the build compatible extension
assert log.contains('io.github.distributedmutex.internal.cdi.LockedBuildCompatibleExtension') : 'not reported by LockedBuildCompatibleExtension'
assert !new File(basedir, 'target/quarkus-app/quarkus-run.jar').exists() : 'Quarkus produced an application anyway'

def line = log.readLines().find { it.contains(method) && it.contains(problem) }
println "Quarkus build failed as expected: ${line?.trim()}"
return true
