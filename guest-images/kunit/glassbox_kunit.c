// SPDX-License-Identifier: GPL-2.0
/*
 * glassbox's own KUnit suite, built into the KUnit kernel next to the
 * kernel's suites (guest-images/build.sh, step kunit).
 *
 * It checks two things an emulated PC must get right for any KUnit run to
 * mean something, and gives the test suite a way to make one test fail on
 * purpose: boot with glassbox_kunit.fail=1 and "obeys_the_command_line"
 * fails, so a caller can prove that a failing KUnit test fails its run.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>

static bool fail;
module_param(fail, bool, 0444);
MODULE_PARM_DESC(fail, "make obeys_the_command_line fail");

/* A busy-wait of 20 ms must show on the monotonic clock, and not as hours. */
static void clock_advances(struct kunit *test)
{
	ktime_t start = ktime_get();
	s64 elapsed;

	mdelay(20);
	elapsed = ktime_to_us(ktime_sub(ktime_get(), start));
	KUNIT_EXPECT_GE(test, elapsed, 15 * USEC_PER_MSEC);
	KUNIT_EXPECT_LT(test, elapsed, 10 * USEC_PER_SEC);
}

/* A sleep of 50 ms needs the timer interrupt: it must end, and not early. */
static void timer_wakes(struct kunit *test)
{
	unsigned long start = jiffies;

	msleep(50);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - start), 40u);
}

static void obeys_the_command_line(struct kunit *test)
{
	KUNIT_EXPECT_FALSE_MSG(test, fail, "made to fail by glassbox_kunit.fail=1");
}

static struct kunit_case glassbox_cases[] = {
	KUNIT_CASE(clock_advances),
	KUNIT_CASE(timer_wakes),
	KUNIT_CASE(obeys_the_command_line),
	{}
};

static struct kunit_suite glassbox_suite = {
	.name = "glassbox",
	.test_cases = glassbox_cases,
};
kunit_test_suite(glassbox_suite);

MODULE_LICENSE("GPL");
